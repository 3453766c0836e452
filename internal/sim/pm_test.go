package sim

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/apk/apktest"
)

// push writes data to a device path as adb push does.
func push(t *testing.T, d *Device, p string, data []byte) {
	t.Helper()
	w, err := d.Create(p, 0o644, time.Now())
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
}

const helloPath = "package:/data/app/org.opencph.hello-1/base.apk\n"

func TestPackageManager(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, setup, cmd string
		out, errOut      string
		exit             int
	}{
		{name: "pm install of a pushed APK succeeds", cmd: "pm install /data/local/tmp/hello.apk", out: "Success\n"},
		{name: "pm install -r -t with a quoted path, as adb's legacy install sends it", cmd: "pm install -r -t '/data/local/tmp/hello.apk'", out: "Success\n"},
		{name: "pm install takes a relative path", cmd: "cd /data/local/tmp && pm install hello.apk", out: "Success\n"},
		{name: "an installed package is listed", setup: "pm install /data/local/tmp/hello.apk", cmd: "pm list packages -3", out: "package:org.opencph.hello\n"},
		{name: "pm list packages -3 is empty on a new phone", cmd: "pm list packages -3"},
		{name: "pm list packages filters by substring", cmd: "pm list packages settings", out: "package:com.android.providers.settings\npackage:com.android.settings\n"},
		{name: "pm list packages -s lists only system packages", setup: "pm install /data/local/tmp/hello.apk", cmd: "pm list packages -s hello"},
		{name: "pm list packages -f shows the APK path", setup: "pm install /data/local/tmp/hello.apk", cmd: "pm list packages -f -3",
			out: "package:/data/app/org.opencph.hello-1/base.apk=org.opencph.hello\n"},
		{name: "pm path of an installed package", setup: "pm install /data/local/tmp/hello.apk", cmd: "pm path org.opencph.hello", out: helloPath},
		{name: "pm path of a system package", cmd: "pm path com.android.settings", out: "package:/system/priv-app/Settings/Settings.apk\n"},
		{name: "pm path of an unknown package fails silently", cmd: "pm path com.nope", exit: 1},
		{name: "install copies the APK and makes the data directory", setup: "pm install /data/local/tmp/hello.apk",
			cmd: "ls /data/app/org.opencph.hello-1 && ls -d /data/data/org.opencph.hello", out: "base.apk\n/data/data/org.opencph.hello\n"},
		{name: "pm install of a missing file fails", cmd: "pm install /data/local/tmp/nope.apk",
			errOut: "Error: Unable to open file: /data/local/tmp/nope.apk\nConsider using a file under /data/local/tmp/\nError: Can't open file: /data/local/tmp/nope.apk\n", exit: 1},
		{name: "pm install of a file that is no APK fails", setup: "echo junk > /data/local/tmp/junk.apk", cmd: "pm install /data/local/tmp/junk.apk",
			out: "Failure [INSTALL_PARSE_FAILED_NOT_APK: Failed to parse base.apk: apk: not a zip archive: zip: not a valid zip file]\n", exit: 1},
		{name: "pm install without a file or size fails", cmd: "pm install", errOut: "Error: must either specify a package size or an APK file\n", exit: 1},
		{name: "pm install with an unknown option fails", cmd: "pm install -z x.apk", errOut: "Error: Unknown option: -z\n", exit: 1},
		{name: "a reinstall replaces the package", setup: "pm install /data/local/tmp/hello.apk", cmd: "pm install /data/local/tmp/hello.apk && pm list packages -3",
			out: "Success\npackage:org.opencph.hello\n"},
		{name: "pm uninstall removes the package and its data", setup: "pm install /data/local/tmp/hello.apk",
			cmd: "pm uninstall org.opencph.hello && pm list packages -3 && ls /data/app /data/data/org.opencph.hello", out: "Success\n/data/app:\n",
			errOut: "ls: /data/data/org.opencph.hello: No such file or directory\n", exit: 1},
		{name: "pm uninstall -k keeps the data", setup: "pm install /data/local/tmp/hello.apk",
			cmd: "pm uninstall -k org.opencph.hello && ls -d /data/data/org.opencph.hello", out: "Success\n/data/data/org.opencph.hello\n"},
		{name: "pm uninstall of an unknown package fails like Android", cmd: "pm uninstall com.nope", out: "Failure [DELETE_FAILED_INTERNAL_ERROR]\n", exit: 1},
		{name: "pm uninstall of a system package fails", cmd: "pm uninstall com.android.settings", out: "Failure [DELETE_FAILED_INTERNAL_ERROR]\n", exit: 1},
		{name: "pm uninstall --user 0 is accepted", setup: "pm install /data/local/tmp/hello.apk", cmd: "pm uninstall --user 0 org.opencph.hello", out: "Success\n"},
		{name: "cmd package uninstall, as adb uninstall sends it", setup: "pm install /data/local/tmp/hello.apk", cmd: "cmd package uninstall org.opencph.hello", out: "Success\n"},
		{name: "pm clear empties the data directory", setup: "pm install /data/local/tmp/hello.apk; touch /data/data/org.opencph.hello/f",
			cmd: "pm clear org.opencph.hello && ls /data/data/org.opencph.hello", out: "Success\n"},
		{name: "am start of an installed app's activity", setup: "pm install /data/local/tmp/hello.apk",
			cmd: "am start -W -n org.opencph.hello/.MainActivity", out: "Starting: Intent { cmp=org.opencph.hello/.MainActivity }\nStatus: ok\nLaunchState: COLD\nActivity: org.opencph.hello/.MainActivity\nTotalTime: 100\nWaitTime: 110\nComplete\n"},
		{name: "am start of an undeclared activity fails", setup: "pm install /data/local/tmp/hello.apk", cmd: "am start -n org.opencph.hello/.Nope",
			out: "Starting: Intent { cmp=org.opencph.hello/.Nope }\n", errOut: "Error type 3\nError: Activity class {org.opencph.hello/org.opencph.hello.Nope} does not exist.\n", exit: 1},
		{name: "pm of an unknown subcommand fails", cmd: "pm fly", errOut: "Unknown command: fly\n", exit: 255},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := setup(t)
			push(t, d, "/data/local/tmp/hello.apk", apktest.Hello)
			if tc.setup != "" {
				out, e, code := sh(t, d, tc.setup)
				require.Zero(t, code, "%s%s", out, e)
			}
			out, errOut, exit := sh(t, d, tc.cmd)
			require.Equal(t, tc.out, out)
			require.Equal(t, tc.errOut, errOut)
			require.Equal(t, tc.exit, exit)
		})
	}
}

// TestStreamedInstall is adb install on a device with the cmd feature: the APK arrives on stdin.
func TestStreamedInstall(t *testing.T) {
	t.Parallel()
	d := setup(t)
	size := strconv.Itoa(len(apktest.Hello))
	out, errOut, exit := shIn(t, d, "cmd package 'install' -S "+size, string(apktest.Hello))
	require.Equal(t, "Success\n", out, errOut)
	require.Zero(t, exit)
	b, err := os.ReadFile(filepath.Join(d.Dir(), fsDir, "data/app/org.opencph.hello-1/base.apk"))
	require.NoError(t, err)
	require.Equal(t, apktest.Hello, b)

	out, _, exit = shIn(t, d, "pm install -S "+size, string(apktest.Hello[:100]))
	require.Equal(t, "Failure [INSTALL_FAILED_INVALID_APK: read 100 of "+size+" bytes]\n", out)
	require.Equal(t, 1, exit)
}

func TestInstallSurvivesBoot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := New(dir, Config{})
	require.NoError(t, err)
	push(t, d, "/data/local/tmp/hello.apk", apktest.Hello)
	out, _, _ := sh(t, d, "pm install /data/local/tmp/hello.apk")
	require.Equal(t, "Success\n", out)
	require.NoError(t, d.Close())
	d, err = New(dir, Config{})
	require.NoError(t, err)
	defer d.Close()
	require.Equal(t, []string{"org.opencph.hello"}, d.Packages())
	out, _, _ = sh(t, d, "pm path org.opencph.hello")
	require.Equal(t, helloPath, out)
}

// TestInstallVersions uses APKs built on the spot by aapt.
func TestInstallVersions(t *testing.T) {
	t.Parallel()
	build := func(code int64, testOnly bool) []byte {
		return apktest.Build(t, apktest.Spec{Package: "com.example.v", VersionCode: code, VersionName: strconv.FormatInt(code, 10), TestOnly: testOnly})
	}
	v1, v2, test := build(1, false), build(2, false), build(3, true)
	for _, tc := range []struct {
		name  string
		first []byte
		flags string
		apk   []byte
		out   string
		code  int64 // the installed version afterwards
	}{
		{"an upgrade succeeds", v1, "", v2, "Success", 2},
		{"a downgrade fails", v2, "", v1, "Failure [INSTALL_FAILED_VERSION_DOWNGRADE]", 2},
		{"a downgrade with -d succeeds", v2, "-d", v1, "Success", 1},
		{"a test-only package needs -t", nil, "", test, "Failure [INSTALL_FAILED_TEST_ONLY: installPackageLI]", 0},
		{"a test-only package installs with -t", nil, "-t", test, "Success", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := setup(t)
			if tc.first != nil {
				push(t, d, "/data/local/tmp/first.apk", tc.first)
				out, _, _ := sh(t, d, "pm install /data/local/tmp/first.apk")
				require.Equal(t, "Success\n", out)
			}
			push(t, d, "/data/local/tmp/next.apk", tc.apk)
			out, _, _ := sh(t, d, "pm install "+tc.flags+" /data/local/tmp/next.apk")
			require.Equal(t, tc.out+"\n", out)
			d.mu.Lock()
			defer d.mu.Unlock()
			if tc.code == 0 {
				require.NotContains(t, d.st.Packages, "com.example.v")
				return
			}
			require.Equal(t, tc.code, d.st.Packages["com.example.v"].VersionCode)
			require.Equal(t, strconv.FormatInt(tc.code, 10), d.st.Packages["com.example.v"].VersionName)
		})
	}
}

// TestPulledAPKIsTheInstalledOne: what pm path names can be pulled back unchanged.
func TestPulledAPKIsTheInstalledOne(t *testing.T) {
	t.Parallel()
	d := setup(t)
	push(t, d, "/data/local/tmp/hello.apk", apktest.Hello)
	_, _, code := sh(t, d, "pm install /data/local/tmp/hello.apk")
	require.Zero(t, code)
	rc, err := d.Open("/data/app/org.opencph.hello-1/base.apk")
	require.NoError(t, err)
	defer rc.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, rc)
	require.NoError(t, err)
	require.Equal(t, apktest.Hello, buf.Bytes())
}
