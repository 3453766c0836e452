package apktest

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rebuild testdata/hello.apk with aapt")

// TestHelloIsCurrent rebuilds Hello from HelloSpec and checks that aapt reads back what the spec
// says; with -update it rewrites the committed file.
func TestHelloIsCurrent(t *testing.T) {
	b := Build(t, HelloSpec)
	if *update {
		require.NoError(t, os.WriteFile(filepath.Join("testdata", "hello.apk"), b, 0o644))
		Hello = b
	}
	require.Less(t, len(Hello), 10<<10, "the committed APK stays under 10 KiB")
	p := filepath.Join(t.TempDir(), "hello.apk")
	require.NoError(t, os.WriteFile(p, Hello, 0o600))
	out, err := exec.Command("aapt", "dump", "badging", p).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.True(t, bytes.HasPrefix(out, []byte("package: name='org.opencph.hello' versionCode='42' versionName='1.2.3'")), "%s", out)
}
