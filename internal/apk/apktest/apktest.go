// Package apktest gives tests real APKs: one committed to the repository (built by aapt, so the
// parser and the package manager are tested on every machine) and any number built on the spot
// with Debian's aapt against android-framework-res, where those are installed.
package apktest

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// FrameworkRes is where Debian's android-framework-res installs the platform's resources, which
// aapt needs to compile android: attributes to their resource ids.
const FrameworkRes = "/usr/share/android-framework-res/framework-res.apk"

// Hello is testdata/hello.apk, built by aapt from HelloSpec (see TestHelloIsCurrent).
//
//go:embed testdata/hello.apk
var Hello []byte

// HelloSpec is what Hello was built from.
var HelloSpec = Spec{
	Package:     "org.opencph.hello",
	VersionCode: 42,
	VersionName: "1.2.3",
	Label:       "Hello ☎ Ünïcode",
	Activities:  []string{".MainActivity", "org.opencph.hello.Settings"},
	XMLFiles: map[string]string{"xml/prefs.xml": `<?xml version="1.0" encoding="utf-8"?>
<PreferenceScreen xmlns:android="http://schemas.android.com/apk/res/android"
    android:title="Réglages ☎" android:key="root">
    <CheckBoxPreference android:key="wifi" android:title="Wi-Fi" android:defaultValue="true"/>
</PreferenceScreen>
`},
}

// Spec describes an APK to build.
type Spec struct {
	Package     string
	VersionCode int64 // written as android:versionCode; 0 leaves it out
	VersionName string
	Label       string
	TestOnly    bool
	Activities  []string
	// XMLFiles are extra resource files by path under res/ ("xml/prefs.xml"); aapt compiles them
	// with UTF-8 string pools, where it compiles the manifest with UTF-16.
	XMLFiles map[string]string
}

// Manifest renders the spec as AndroidManifest.xml source.
func (s Spec) Manifest() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<manifest xmlns:android="http://schemas.android.com/apk/res/android"`)
	fmt.Fprintf(&b, "\n    package=%q", s.Package)
	if s.VersionCode != 0 {
		fmt.Fprintf(&b, "\n    android:versionCode=\"%d\"", s.VersionCode)
	}
	if s.VersionName != "" {
		fmt.Fprintf(&b, "\n    android:versionName=%q", s.VersionName)
	}
	b.WriteString(">\n    <uses-sdk android:minSdkVersion=\"21\" android:targetSdkVersion=\"29\"/>\n")
	fmt.Fprintf(&b, "    <application android:label=%q android:testOnly=\"%t\">\n", s.Label, s.TestOnly)
	for _, a := range s.Activities {
		fmt.Fprintf(&b, "        <activity android:name=%q/>\n", a)
	}
	b.WriteString("    </application>\n</manifest>\n")
	return b.String()
}

// Available reports why aapt cannot build APKs here, or nil.
func Available() error {
	if _, err := exec.LookPath("aapt"); err != nil {
		return errors.New("aapt is not installed (apt-get install aapt android-framework-res)")
	}
	if _, err := os.Stat(FrameworkRes); err != nil {
		return fmt.Errorf("android-framework-res is not installed (apt-get install android-framework-res): %w", err)
	}
	return nil
}

// Build compiles spec with aapt and returns the APK's bytes. It skips the test, saying why, where
// aapt or the framework resources are missing.
func Build(t testing.TB, spec Spec) []byte {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("cannot build an APK: %v", err)
	}
	b, err := BuildAPK(t.TempDir(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BuildAPK compiles spec with aapt in dir and returns the APK's bytes.
func BuildAPK(dir string, spec Spec) ([]byte, error) {
	manifest := filepath.Join(dir, "AndroidManifest.xml")
	if err := os.WriteFile(manifest, []byte(spec.Manifest()), 0o600); err != nil {
		return nil, err
	}
	args := []string{"package", "-f", "-M", manifest, "-I", FrameworkRes}
	if len(spec.XMLFiles) > 0 {
		res := filepath.Join(dir, "res")
		for name, content := range spec.XMLFiles {
			p := filepath.Join(res, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				return nil, err
			}
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				return nil, err
			}
		}
		args = append(args, "-S", res)
	}
	out := filepath.Join(dir, "out.apk")
	args = append(args, "-F", out)
	if msg, err := exec.Command("aapt", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("aapt %s: %w\n%s", strings.Join(args, " "), err, msg)
	}
	return os.ReadFile(out)
}
