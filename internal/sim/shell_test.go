package sim

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// setup boots a fresh phone in a temporary directory.
func setup(t *testing.T) *Device {
	t.Helper()
	d, err := New(t.TempDir(), Config{Model: "rc2.se", IMEI: "861536030196001", Serial: "sim0001"})
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

// sh runs a command line and returns its stdout, stderr and exit status.
func sh(t *testing.T, d *Device, cmd string) (string, string, int) {
	t.Helper()
	return shIn(t, d, cmd, "")
}

func shIn(t *testing.T, d *Device, cmd, stdin string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	exit, err := d.Shell(context.Background(), cmd, strings.NewReader(stdin), &out, &errOut)
	require.NoError(t, err)
	return out.String(), errOut.String(), exit
}

// TestShell has one row per behaviour of a command: its output, its message and its exit status.
// A row's setup runs first and must succeed; out is exact unless outRe is given.
func TestShell(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, setup, cmd, stdin string
		out, outRe, errOut      string
		exit                    int
	}{
		// parsing
		{name: "echo joins its arguments with one space", cmd: "echo a   b", out: "a b\n"},
		{name: "echo -n omits the newline", cmd: "echo -n a", out: "a"},
		{name: "echo -e interprets escapes", cmd: `echo -e 'a\tb\n'`, out: "a\tb\n\n"},
		{name: "single quotes keep spaces and operators", cmd: "echo 'a;b && c | d > e $X'", out: "a;b && c | d > e $X\n"},
		{name: "double quotes keep spaces and take escapes", cmd: `echo "say \"hi\"  there"`, out: "say \"hi\"  there\n"},
		{name: "a backslash escapes a space", cmd: `echo a\ b`, out: "a b\n"},
		{name: "an empty quoted argument is kept", cmd: `echo "" x`, out: " x\n"},
		{name: "a comment is ignored", cmd: "echo a # b", out: "a\n"},
		{name: "a lone dollar is literal", cmd: "echo $ 5", out: "$ 5\n"},
		{name: "&& runs the next command after success", cmd: "true && echo yes", out: "yes\n"},
		{name: "&& skips the next command after failure", cmd: "false && echo yes", exit: 1},
		{name: "|| runs the next command after failure", cmd: "false || echo no", out: "no\n"},
		{name: "|| skips the next command after success", cmd: "true || echo no"},
		{name: "; runs both and the status is the last's", cmd: "false; echo x", out: "x\n"},
		{name: "the status of a list is its last command's", cmd: "true; false", exit: 1},
		{name: "newlines separate commands", cmd: "echo a\necho b", out: "a\nb\n"},
		{name: "a line ending in && continues", cmd: "true &&\necho c", out: "c\n"},
		{name: "exit ends the shell with its status", cmd: "exit 3; echo no", exit: 3},
		{name: "exit without a status keeps the last one", cmd: "false; exit", exit: 1},
		{name: "sh -c runs a nested line", cmd: "sh -c 'echo a && echo b'", out: "a\nb\n"},
		{name: "a pipe is refused and nothing runs", cmd: "echo a | cat", errOut: "/system/bin/sh: a pipe (|) is not supported by the simulator\n", exit: 1},
		{name: "a background job is refused", cmd: "echo a &", errOut: "/system/bin/sh: a background job (&) is not supported by the simulator\n", exit: 1},
		{name: "a parameter expansion is refused", cmd: "echo $HOME", errOut: "/system/bin/sh: parameter expansion ($) is not supported by the simulator\n", exit: 1},
		{name: "an expansion inside double quotes is refused", cmd: `echo "$HOME"`, errOut: "/system/bin/sh: parameter expansion ($) is not supported by the simulator\n", exit: 1},
		{name: "a command substitution is refused", cmd: "echo `id`", errOut: "/system/bin/sh: command substitution (`) is not supported by the simulator\n", exit: 1},
		{name: "a subshell is refused", cmd: "(echo a)", errOut: "/system/bin/sh: a subshell ('(') is not supported by the simulator\n", exit: 1},
		{name: "a leading && is a syntax error", cmd: "&& echo a", errOut: "/system/bin/sh: syntax error: '&&' unexpected\n", exit: 1},
		{name: "a trailing && is a syntax error", cmd: "echo a &&", errOut: "/system/bin/sh: syntax error: unexpected end of input\n", exit: 1},
		{name: ";; is a syntax error", cmd: "echo a;; echo b", errOut: "/system/bin/sh: syntax error: ';;' unexpected\n", exit: 1},
		{name: "an unterminated quote is a syntax error", cmd: "echo 'a", errOut: "/system/bin/sh: syntax error: unterminated quoted string\n", exit: 1},
		{name: "an empty line does nothing", cmd: "   "},

		// command lookup
		{name: "an unknown command is not found, 127", cmd: "foo", errOut: "/system/bin/sh: foo: not found\n", exit: 127},
		{name: "an unknown command ends an && chain", cmd: "foo && echo x", errOut: "/system/bin/sh: foo: not found\n", exit: 127},
		{name: "a command runs by its /system/bin path", cmd: "/system/bin/ls /data/local", out: "tmp\n"},
		{name: "a missing path is not found", cmd: "/data/local/tmp/nope", errOut: "/system/bin/sh: /data/local/tmp/nope: not found\n", exit: 127},
		{name: "a file without execute permission cannot run, 126", setup: "touch /data/local/tmp/f", cmd: "/data/local/tmp/f",
			errOut: "/system/bin/sh: /data/local/tmp/f: can't execute: Permission denied\n", exit: 126},

		// redirections
		{name: "> writes a file", cmd: "echo hi > /sdcard/f && cat /sdcard/f", out: "hi\n"},
		{name: ">> appends", setup: "echo a > /sdcard/f", cmd: "echo b >> /sdcard/f; cat /sdcard/f", out: "a\nb\n"},
		{name: "< reads a file", setup: "echo in > /sdcard/f", cmd: "cat < /sdcard/f", out: "in\n"},
		{name: "2>/dev/null drops errors, the status stays", cmd: "ls /nope 2>/dev/null", exit: 1},
		{name: "2>&1 sends errors to stdout", cmd: "ls /nope 2>&1", out: "ls: /nope: No such file or directory\n", exit: 1},
		{name: ">&2 sends output to stderr", cmd: "echo e >&2", errOut: "e\n"},
		{name: "> into a missing directory fails", cmd: "echo x > /nope/f", errOut: "/system/bin/sh: can't create /nope/f: No such file or directory\n", exit: 1},
		{name: "> into /system fails: read-only", cmd: "echo x > /system/f", errOut: "/system/bin/sh: can't create /system/f: Read-only file system\n", exit: 1},
		{name: "< from a missing file fails", cmd: "cat < /nope", errOut: "/system/bin/sh: can't open /nope: No such file or directory\n", exit: 1},

		// echo, pwd, cd
		{name: "pwd starts at /", cmd: "pwd", out: "/\n"},
		{name: "cd changes the directory for what follows", cmd: "cd /data/local && pwd && ls", out: "/data/local\ntmp\n"},
		{name: "cd keeps the path as given through a link", cmd: "cd /sdcard && pwd", out: "/sdcard\n"},
		{name: "cd .. stops at /", cmd: "cd /../../.. && pwd", out: "/\n"},
		{name: "cd to a missing directory fails, 2", cmd: "cd /nope", errOut: "/system/bin/sh: cd: /nope: No such file or directory\n", exit: 2},
		{name: "cd to a file fails", cmd: "cd /system/build.prop", errOut: "/system/bin/sh: cd: /system/build.prop: Not a directory\n", exit: 2},
		{name: "relative paths follow the working directory", cmd: "cd /data && ls local", out: "tmp\n"},

		// ls
		{name: "ls lists names one per line", cmd: "ls /data/local", out: "tmp\n"},
		{name: "ls without operands lists the working directory", cmd: "cd /data/local; ls", out: "tmp\n"},
		{name: "ls -a adds . and .. and dotfiles", setup: "touch /sdcard/.h", cmd: "ls -a /sdcard/Music /data/local", outRe: `^/data/local:\n\.\n\.\.\ntmp\n\n/sdcard/Music:\n\.\n\.\.\n$`},
		{name: "ls of a missing path fails, 1", cmd: "ls /nope", errOut: "ls: /nope: No such file or directory\n", exit: 1},
		{name: "ls lists what exists and fails for the rest", cmd: "ls /nope /data/local", out: "/data/local:\ntmp\n", errOut: "ls: /nope: No such file or directory\n", exit: 1},
		{name: "ls of a file prints its path", setup: "touch /sdcard/f", cmd: "ls /sdcard/f", out: "/sdcard/f\n"},
		{name: "ls -l shows mode, owner, size, time and name", setup: "echo 12345 > /data/local/tmp/f", cmd: "ls -l /data/local/tmp",
			outRe: `^total 4\n-rw-[-r][-w]-[-r][-w]- 1 shell shell 6 \d{4}-\d\d-\d\d \d\d:\d\d f\n$`},
		{name: "ls -la shows a link and its target", cmd: "ls -ld /sdcard", outRe: `^lrwxrwxrwx 1 root root \d+ .* /sdcard -> storage/emulated/0\n$`},
		{name: "ls -d lists a directory itself", cmd: "ls -d /data", out: "/data\n"},
		{name: "ls of / shows the phone's top directories", cmd: "ls /", out: "cache\ndata\ndev\netc\nmnt\nproc\nsdcard\nstorage\nsys\nsystem\nvendor\n"},
		{name: "ls with an unknown flag fails as toybox does", cmd: "ls -z /", errOut: "ls: Unknown option 'z' (see \"ls --help\")\n", exit: 1},

		// cat
		{name: "cat prints files in order", setup: "echo a > /sdcard/a; echo b > /sdcard/b", cmd: "cat /sdcard/a /sdcard/b", out: "a\nb\n"},
		{name: "cat of a missing file fails, 1", cmd: "cat /nope", errOut: "cat: /nope: No such file or directory\n", exit: 1},
		{name: "cat of a directory fails", cmd: "cat /data", errOut: "cat: /data: Is a directory\n", exit: 1},
		{name: "cat without operands copies stdin", cmd: "cat", stdin: "piped\n", out: "piped\n"},
		{name: "cat reads build.prop", cmd: "cat /system/build.prop", outRe: `(?m)^ro\.product\.model=rc2\.se$`},

		// mkdir, touch, rm
		{name: "mkdir makes a directory", cmd: "mkdir /sdcard/d && ls -d /sdcard/d", out: "/sdcard/d\n"},
		{name: "mkdir without -p needs the parent", cmd: "mkdir /sdcard/x/y", errOut: "mkdir: '/sdcard/x/y': No such file or directory\n", exit: 1},
		{name: "mkdir -p makes the parents", cmd: "mkdir -p /sdcard/x/y && ls /sdcard/x", out: "y\n"},
		{name: "mkdir of an existing directory fails", cmd: "mkdir /data", errOut: "mkdir: '/data': File exists\n", exit: 1},
		{name: "mkdir -p of an existing directory succeeds", cmd: "mkdir -p /data"},
		{name: "mkdir under /system fails: read-only", cmd: "mkdir /system/x", errOut: "mkdir: '/system/x': Read-only file system\n", exit: 1},
		{name: "mkdir without operands fails", cmd: "mkdir", errOut: "mkdir: Needs 1 argument (see \"mkdir --help\")\n", exit: 1},
		{name: "touch creates an empty file", cmd: "touch /sdcard/t && cat /sdcard/t && ls /sdcard/t", out: "/sdcard/t\n"},
		{name: "touch -c does not create", cmd: "touch -c /sdcard/t; ls /sdcard/t", errOut: "ls: /sdcard/t: No such file or directory\n", exit: 1},
		{name: "touch in a missing directory fails", cmd: "touch /nope/t", errOut: "touch: '/nope/t': No such file or directory\n", exit: 1},
		{name: "rm removes a file", setup: "touch /sdcard/f", cmd: "rm /sdcard/f && ls /sdcard/f", errOut: "ls: /sdcard/f: No such file or directory\n", exit: 1},
		{name: "rm of a missing file fails, 1", cmd: "rm /nope", errOut: "rm: /nope: No such file or directory\n", exit: 1},
		{name: "rm -f of a missing file is silent", cmd: "rm -f /nope"},
		{name: "rm of a directory needs -r", setup: "mkdir /sdcard/d", cmd: "rm /sdcard/d", errOut: "rm: /sdcard/d: Is a directory\n", exit: 1},
		{name: "rm -rf removes a tree", setup: "mkdir -p /sdcard/d/e; touch /sdcard/d/e/f", cmd: "rm -rf /sdcard/d; ls /sdcard/d", errOut: "ls: /sdcard/d: No such file or directory\n", exit: 1},
		{name: "rm under /system fails: read-only", cmd: "rm -rf /system/bin", errOut: "rm: /system/bin: Read-only file system\n", exit: 1},
		{name: "rm without operands fails", cmd: "rm", errOut: "rm: Needs 1 argument (see \"rm --help\")\n", exit: 1},

		// cp, mv
		{name: "cp copies a file", setup: "echo c > /sdcard/a", cmd: "cp /sdcard/a /sdcard/b && cat /sdcard/b /sdcard/a", out: "c\nc\n"},
		{name: "cp into a directory keeps the name", setup: "echo c > /sdcard/a", cmd: "cp /sdcard/a /data/local/tmp && cat /data/local/tmp/a", out: "c\n"},
		{name: "cp of a missing file fails", cmd: "cp /nope /sdcard/b", errOut: "cp: /nope: No such file or directory\n", exit: 1},
		{name: "cp of a directory needs -r", setup: "mkdir /sdcard/d", cmd: "cp /sdcard/d /sdcard/e", errOut: "cp: Skipped dir '/sdcard/d'\n", exit: 1},
		{name: "cp -r copies a tree", setup: "mkdir -p /sdcard/d/e; echo f > /sdcard/d/e/f", cmd: "cp -r /sdcard/d /sdcard/g && cat /sdcard/g/e/f", out: "f\n"},
		{name: "cp into itself fails", setup: "mkdir /sdcard/d", cmd: "cp -r /sdcard/d /sdcard/d/x", errOut: "cp: '/sdcard/d' is inside itself\n", exit: 1},
		{name: "cp of many needs a directory", setup: "touch /sdcard/a /sdcard/b", cmd: "cp /sdcard/a /sdcard/b /sdcard/c", errOut: "cp: '/sdcard/c' not directory\n", exit: 1},
		{name: "cp into /system fails: read-only", setup: "touch /sdcard/a", cmd: "cp /sdcard/a /system/a", errOut: "cp: /system/a: Read-only file system\n", exit: 1},
		{name: "mv renames", setup: "echo m > /sdcard/a", cmd: "mv /sdcard/a /sdcard/b && cat /sdcard/b && ls /sdcard/a", out: "m\n", errOut: "ls: /sdcard/a: No such file or directory\n", exit: 1},
		{name: "mv into a directory keeps the name", setup: "touch /sdcard/a", cmd: "mv /sdcard/a /data/local/tmp && ls /data/local/tmp", out: "a\n"},
		{name: "mv of a missing file fails", cmd: "mv /nope /sdcard/b", errOut: "mv: /nope: No such file or directory\n", exit: 1},
		{name: "mv needs two operands", cmd: "mv /sdcard", errOut: "mv: Needs 2 arguments (see \"mv --help\")\n", exit: 1},

		// identity and system
		{name: "id is the shell user", cmd: "id", outRe: `^uid=2000\(shell\) gid=2000\(shell\) groups=2000\(shell\),.* context=u:r:shell:s0\n$`},
		{name: "whoami is shell", cmd: "whoami", out: "shell\n"},
		{name: "uname is Linux", cmd: "uname", out: "Linux\n"},
		{name: "uname -m is the ABI's machine", cmd: "uname -m", out: "aarch64\n"},
		{name: "uname -a is everything", cmd: "uname -a", outRe: `^Linux localhost \S+ #1 SMP PREEMPT .* aarch64 Toybox\n$`},
		{name: "df lists the mounts", cmd: "df", outRe: `^Filesystem +1K-blocks +Used +Available Use% Mounted on\n(.*\n)*/dev/block/vdc +33554432 .* /data\n`},
		{name: "df of a path names its mount", cmd: "df /sdcard/Music", outRe: `^Filesystem.*\n/data/media +\d+ .* /storage/emulated\n$`},
		{name: "df -h is human-readable", cmd: "df -h /data", outRe: `^Filesystem +Size +Used +Avail Use% Mounted on\n/dev/block/vdc +32G .* /data\n$`},
		{name: "ps lists the shell's own processes", cmd: "ps", outRe: `^USER +PID +PPID +VSZ +RSS +WCHAN +ADDR S NAME\nshell +\d+ +1210 .* sh\nshell +\d+ +\d+ .* ps\n$`},
		{name: "ps -A lists every process", cmd: "ps -A", outRe: `(?s)root +1 +0 .* init\n.*system +610 +320 .* system_server\n`},
		{name: "reboot answers at once", cmd: "reboot"},

		// settings
		{name: "settings get reads a default", cmd: "settings get system screen_brightness", out: "102\n"},
		{name: "settings get of an unset key is null", cmd: "settings get global nope", out: "null\n"},
		{name: "settings put then get", cmd: "settings put global x 1 && settings get global x", out: "1\n"},
		{name: "settings list is sorted key=value", setup: "settings put secure zz 2", cmd: "settings list secure", outRe: `(?s)android_id=[0-9a-f]{16}\n.*zz=2\n$`},
		{name: "settings delete reports rows", setup: "settings put global x 1", cmd: "settings delete global x; settings delete global x", out: "Deleted 1 rows\nDeleted 0 rows\n"},
		{name: "settings with a bad namespace fails", cmd: "settings get foo x", outRe: `^$`, exit: 255},

		// am, input, wm, cmd
		{name: "am start of a known activity", cmd: "am start -n com.android.settings/.Settings", out: "Starting: Intent { cmp=com.android.settings/.Settings }\n"},
		{name: "am start with an action and category", cmd: "am start -a android.intent.action.MAIN -c android.intent.category.HOME",
			out: "Starting: Intent { act=android.intent.action.MAIN cat=[android.intent.category.HOME] }\n"},
		{name: "am start of an unknown activity fails", cmd: "am start -n com.nope/.Main", out: "Starting: Intent { cmp=com.nope/.Main }\n",
			errOut: "Error type 3\nError: Activity class {com.nope/com.nope.Main} does not exist.\n", exit: 1},
		{name: "am start adds the app to ps", cmd: "am start -n com.android.settings/.Settings >/dev/null && ps -A", outRe: `(?m)^u0_a\d+ +\d+ +320 .* com\.android\.settings$`},
		{name: "am force-stop succeeds silently", cmd: "am force-stop com.android.settings"},
		{name: "input tap takes two numbers", cmd: "input tap 100 200"},
		{name: "input swipe takes an optional duration", cmd: "input swipe 1 2 3 4 500"},
		{name: "input text", cmd: "input text hello"},
		{name: "input keyevent", cmd: "input keyevent KEYCODE_HOME 3"},
		{name: "input with a source", cmd: "input touchscreen tap 1 2"},
		{name: "input tap with bad numbers fails", cmd: "input tap x y", errOut: "Error: Invalid arguments for command: tap\n", exit: 1},
		{name: "input of an unknown command fails", cmd: "input fly", errOut: "Error: Unknown command: fly\n", exit: 1},
		{name: "wm size is the physical size", cmd: "wm size", out: "Physical size: 720x1280\n"},
		{name: "wm size sets an override", cmd: "wm size 1080x1920 && wm size", out: "Physical size: 720x1280\nOverride size: 1080x1920\n"},
		{name: "wm size reset drops the override", setup: "wm size 1080x1920", cmd: "wm size reset && wm size", out: "Physical size: 720x1280\n"},
		{name: "wm size with a bad size fails", cmd: "wm size big", errOut: "Error: bad size big\n", exit: 255},
		{name: "wm density is the configured density", cmd: "wm density", out: "Physical density: 320\n"},
		{name: "cmd of an unknown service fails, 20", cmd: "cmd nope", errOut: "cmd: Can't find service: nope\n", exit: 20},
		{name: "cmd package is pm", cmd: "cmd package list packages -3"},
		{name: "the pm script is Android's", cmd: "cat /system/bin/pm", out: "#!/system/bin/sh\ncmd package \"$@\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := setup(t)
			if tc.setup != "" {
				_, e, code := sh(t, d, tc.setup)
				require.Zero(t, code, "setup: %s", e)
			}
			out, errOut, exit := shIn(t, d, tc.cmd, tc.stdin)
			if tc.outRe != "" {
				require.Regexp(t, regexp.MustCompile(tc.outRe), out)
			} else {
				require.Equal(t, tc.out, out)
			}
			if tc.name != "settings with a bad namespace fails" {
				require.Equal(t, tc.errOut, errOut)
			} else {
				require.True(t, strings.HasPrefix(errOut, "Invalid namespace 'foo'\nusage:"), errOut)
			}
			require.Equal(t, tc.exit, exit)
		})
	}
}

func TestInteractiveShell(t *testing.T) {
	t.Parallel()
	d := setup(t)
	var out, errOut bytes.Buffer
	exit, err := d.Shell(context.Background(), "", strings.NewReader("cd /data/local\nls\nfoo\nexit 4\necho never\n"), &out, &errOut)
	require.NoError(t, err)
	require.Equal(t, 4, exit)
	require.Equal(t, "HWSTF:/ $ HWSTF:/data/local $ tmp\nHWSTF:/data/local $ HWSTF:/data/local $ ", out.String())
	require.Equal(t, "/system/bin/sh: foo: not found\n", errOut.String())
}

func TestInteractiveShellEndsAtEOF(t *testing.T) {
	t.Parallel()
	d := setup(t)
	var out bytes.Buffer
	exit, err := d.Shell(context.Background(), "", strings.NewReader("false"), &out, &out)
	require.NoError(t, err)
	require.Equal(t, 1, exit)
}

func TestShellStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	d := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	_, err := d.Shell(ctx, "echo a; echo b", nil, &out, &out)
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, out.String())
}

func TestRootShellWhenNonRootIsOff(t *testing.T) {
	t.Parallel()
	d, err := New(t.TempDir(), Config{Properties: map[string]string{"ro.com.cph.non_root": "0"}})
	require.NoError(t, err)
	defer d.Close()
	out, _, _ := sh(t, d, "whoami; id")
	require.True(t, strings.HasPrefix(out, "root\nuid=0(root) gid=0(root)"), out)
}

func TestExecutableFileCannotRun(t *testing.T) {
	t.Parallel()
	d := setup(t)
	require.NoError(t, os.WriteFile(filepath.Join(d.Dir(), fsDir, "data/local/tmp/bin"), []byte("\x7fELF"), 0o755))
	_, errOut, exit := sh(t, d, "/data/local/tmp/bin")
	require.Equal(t, 126, exit)
	require.Equal(t, "/system/bin/sh: /data/local/tmp/bin: can't execute: Exec format error\n", errOut)
}
