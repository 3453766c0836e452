// Package apk reads what an installer needs from an Android package: the package name, version and
// activities declared in its AndroidManifest.xml. An APK is a zip archive whose manifest is compiled
// to Android's binary XML (a ResXMLTree: a string pool, a resource map and start/end element chunks,
// as documented in frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h); this package
// decodes that format itself because no Go APK parser is available to the build.
//
// Values the manifest gives as references into resources.arsc (versionName="@string/v") are not
// resolved: they read as "@0x7f…", which is what `aapt dump xmltree` shows too.
package apk

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Resource ids of the framework attributes the manifest reader looks for
// (frameworks/base/core/res/res/values/public.xml).
const (
	AttrName             = 0x01010003
	AttrMinSdkVersion    = 0x0101020c
	AttrVersionCode      = 0x0101021b
	AttrVersionName      = 0x0101021c
	AttrTargetSdkVersion = 0x01010270
	AttrTestOnly         = 0x01010272
	AttrVersionCodeMajor = 0x01010576
)

// AndroidNS is the namespace URI of the android: attributes.
const AndroidNS = "http://schemas.android.com/apk/res/android"

// maxManifest bounds how much of an archive's manifest entry is inflated, so that a crafted
// archive cannot exhaust memory; real manifests are a few kilobytes to a few hundred.
const maxManifest = 16 << 20

var (
	// ErrNotAPK reports a file that is not a zip archive.
	ErrNotAPK = errors.New("apk: not a zip archive")
	// ErrNoManifest reports an archive without AndroidManifest.xml.
	ErrNoManifest = errors.New("apk: no AndroidManifest.xml")
	// ErrBadManifest reports a manifest that decodes but lacks what every package has.
	ErrBadManifest = errors.New("apk: bad manifest")
)

// Manifest is what the package manager reads from a package.
type Manifest struct {
	Package string
	// VersionCode includes android:versionCodeMajor in its high 32 bits, as Android's
	// getLongVersionCode does.
	VersionCode int64
	VersionName string
	MinSDK      int
	TargetSDK   int
	// TestOnly is application android:testOnly; Android installs such a package only with -t.
	TestOnly bool
	// Activities are the fully qualified class names of the declared activities and aliases.
	Activities []string
}

// ReadFile reads the manifest of the APK at name.
func ReadFile(name string) (Manifest, error) {
	f, err := os.Open(name)
	if err != nil {
		return Manifest{}, fmt.Errorf("apk: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Manifest{}, fmt.Errorf("apk: %w", err)
	}
	return Read(f, fi.Size())
}

// Read reads the manifest of the APK held in r.
func Read(r io.ReaderAt, size int64) (Manifest, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return Manifest{}, fmt.Errorf("%w: %w", ErrNotAPK, err)
	}
	for _, f := range zr.File {
		if f.Name != "AndroidManifest.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: %w", ErrNotAPK, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxManifest+1))
		rc.Close()
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: AndroidManifest.xml: %w", ErrNotAPK, err)
		}
		if len(data) > maxManifest {
			return Manifest{}, fmt.Errorf("%w: AndroidManifest.xml larger than %d bytes", ErrBadManifest, maxManifest)
		}
		return ParseManifest(data)
	}
	return Manifest{}, ErrNoManifest
}

// ParseManifest decodes a compiled AndroidManifest.xml.
func ParseManifest(data []byte) (Manifest, error) {
	root, err := ParseXML(data)
	if err != nil {
		return Manifest{}, err
	}
	if root.Name != "manifest" {
		return Manifest{}, fmt.Errorf("%w: root element <%s>, want <manifest>", ErrBadManifest, root.Name)
	}
	var m Manifest
	if a, ok := root.Attr(0, "", "package"); ok {
		m.Package = a.String()
	}
	if !validPackage(m.Package) {
		return Manifest{}, fmt.Errorf("%w: package name %q", ErrBadManifest, m.Package)
	}
	if a, ok := root.Attr(AttrVersionCode, AndroidNS, "versionCode"); ok {
		code, ok := a.Int()
		if !ok {
			return Manifest{}, fmt.Errorf("%w: versionCode %q", ErrBadManifest, a.String())
		}
		m.VersionCode = int64(uint32(code))
	}
	if a, ok := root.Attr(AttrVersionCodeMajor, AndroidNS, "versionCodeMajor"); ok {
		if major, ok := a.Int(); ok {
			m.VersionCode |= major << 32
		}
	}
	if a, ok := root.Attr(AttrVersionName, AndroidNS, "versionName"); ok {
		m.VersionName = a.String()
	}
	for _, el := range root.Children {
		switch el.Name {
		case "uses-sdk":
			if a, ok := el.Attr(AttrMinSdkVersion, AndroidNS, "minSdkVersion"); ok {
				n, _ := a.Int()
				m.MinSDK = int(n)
			}
			if a, ok := el.Attr(AttrTargetSdkVersion, AndroidNS, "targetSdkVersion"); ok {
				n, _ := a.Int()
				m.TargetSDK = int(n)
			}
		case "application":
			if a, ok := el.Attr(AttrTestOnly, AndroidNS, "testOnly"); ok {
				n, _ := a.Int()
				m.TestOnly = n != 0
			}
			for _, c := range el.Children {
				if c.Name != "activity" && c.Name != "activity-alias" {
					continue
				}
				if a, ok := c.Attr(AttrName, AndroidNS, "name"); ok {
					m.Activities = append(m.Activities, className(m.Package, a.String()))
				}
			}
		}
	}
	return m, nil
}

// className resolves a manifest class name the way PackageParser does: ".Main" and "Main" are
// relative to the package.
func className(pkg, name string) string {
	switch {
	case strings.HasPrefix(name, "."):
		return pkg + name
	case !strings.Contains(name, "."):
		return pkg + "." + name
	}
	return name
}

// validPackage applies PackageParser's rule: at least two dot-separated segments, each starting
// with a letter and made of letters, digits and underscores.
func validPackage(name string) bool {
	parts := strings.Split(name, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for i, r := range p {
			letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
			if !letter && (i == 0 || r != '_' && (r < '0' || r > '9')) {
				return false
			}
		}
	}
	return true
}
