package sim

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/opencph/opencph/internal/apk"
)

// pkgRecord is an installed package, as Android keeps it in /data/system/packages.xml.
type pkgRecord struct {
	Name        string   `json:"name"`
	Path        string   `json:"path"` // the APK's device path
	VersionCode int64    `json:"version_code"`
	VersionName string   `json:"version_name,omitempty"`
	Activities  []string `json:"activities,omitempty"`
	System      bool     `json:"-"`
}

// systemPackages are the image's packages; their APKs are stand-ins, not real packages.
var systemPackages = []pkgRecord{
	{Name: "android", Path: "/system/framework/framework-res.apk", VersionCode: 29, VersionName: "10", System: true},
	{Name: "com.android.settings", Path: "/system/priv-app/Settings/Settings.apk", VersionCode: 29, VersionName: "10",
		Activities: []string{"com.android.settings.Settings"}, System: true},
	{Name: "com.android.systemui", Path: "/system/priv-app/SystemUI/SystemUI.apk", VersionCode: 29, VersionName: "10", System: true},
	{Name: "com.android.launcher3", Path: "/system/priv-app/Launcher3/Launcher3.apk", VersionCode: 29, VersionName: "10",
		Activities: []string{"com.android.launcher3.Launcher"}, System: true},
	{Name: "com.android.providers.settings", Path: "/system/priv-app/SettingsProvider/SettingsProvider.apk", VersionCode: 29, VersionName: "10", System: true},
	{Name: "com.android.shell", Path: "/system/priv-app/Shell/Shell.apk", VersionCode: 29, VersionName: "10", System: true},
	{Name: "com.android.phone", Path: "/system/priv-app/TeleService/TeleService.apk", VersionCode: 29, VersionName: "10", System: true},
	{Name: "com.android.inputmethod.latin", Path: "/system/app/LatinIME/LatinIME.apk", VersionCode: 29, VersionName: "10", System: true},
	{Name: "com.android.webview", Path: "/system/app/webview/webview.apk", VersionCode: 29, VersionName: "10", System: true},
}

// maxAPK bounds an install from stdin or a file, so that a runaway stream cannot fill the disk.
const maxAPK = 4 << 30

// lookupPkg finds an installed or system package; the caller holds d.mu.
func (d *Device) lookupPkg(name string) (pkgRecord, bool) {
	if p, ok := d.st.Packages[name]; ok {
		return *p, true
	}
	for _, p := range systemPackages {
		if p.Name == name {
			return p, true
		}
	}
	return pkgRecord{}, false
}

// Packages lists the installed third-party packages, sorted by name.
func (d *Device) Packages() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for name := range d.st.Packages {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// runPM is `pm` (and `cmd package`), the package manager's shell command of Android 10.
func runPM(sh *shell, args []string, std *stdio) int {
	if len(args) == 0 {
		fmt.Fprint(std.err, "usage: pm [list|path|install|uninstall|clear] ...\n")
		return 1
	}
	switch args[0] {
	case "list":
		if len(args) < 2 || args[1] != "packages" {
			fmt.Fprintf(std.err, "Error: unknown list type '%s'\n", strings.Join(args[1:], " "))
			return 255
		}
		return pmList(sh, args[2:], std)
	case "path":
		return pmPath(sh, args[1:], std)
	case "install":
		return pmInstall(sh, args[1:], std)
	case "uninstall":
		return pmUninstall(sh, args[1:], std)
	case "clear":
		return pmClear(sh, args[1:], std)
	}
	fmt.Fprintf(std.err, "Unknown command: %s\n", args[0])
	return 255
}

func pmList(sh *shell, args []string, std *stdio) int {
	var third, system, withPath bool
	filter := ""
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-3":
			third = true
		case "-s":
			system = true
		case "-f":
			withPath = true
		case "-d", "-e", "-i", "-l", "-U", "-u", "--show-versioncode":
		case "--user":
			i++
		default:
			if strings.HasPrefix(a, "-") {
				fmt.Fprintf(std.err, "Error: Unknown option: %s\n", a)
				return 255
			}
			filter = a
		}
	}
	d := sh.d
	d.mu.Lock()
	var list []pkgRecord
	if !third {
		list = append(list, systemPackages...)
	}
	if !system {
		for _, p := range d.st.Packages {
			list = append(list, *p)
		}
	}
	d.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	for _, p := range list {
		if filter != "" && !strings.Contains(p.Name, filter) {
			continue
		}
		if withPath {
			fmt.Fprintf(std.out, "package:%s=%s\n", p.Path, p.Name)
		} else {
			fmt.Fprintf(std.out, "package:%s\n", p.Name)
		}
	}
	return 0
}

func pmPath(sh *shell, args []string, std *stdio) int {
	args = dropUserFlag(args)
	if len(args) != 1 {
		fmt.Fprint(std.err, "Error: no package specified\n")
		return 255
	}
	sh.d.mu.Lock()
	p, ok := sh.d.lookupPkg(args[0])
	sh.d.mu.Unlock()
	if !ok {
		return 1
	}
	fmt.Fprintf(std.out, "package:%s\n", p.Path)
	return 0
}

// pmInstall installs from a device path, or from stdin with -S SIZE (how adb streams an install).
// -r is accepted and changes nothing, as on Android 7 and later, where replacing is always allowed.
func pmInstall(sh *shell, args []string, std *stdio) int {
	var allowTest, allowDowngrade bool
	size := int64(-1)
	var file string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-r", "-g", "-f", "-l", "--dont-kill", "--full", "--instant", "--force-queryable":
		case "-t":
			allowTest = true
		case "-d":
			allowDowngrade = true
		case "-i", "--user", "--install-reason", "--originating-uri", "--referrer", "--pkg", "--abi", "--install-location":
			i++
		case "-S":
			i++
			if i >= len(args) {
				fmt.Fprint(std.err, "Error: missing size\n")
				return 1
			}
			n, err := strconv.ParseInt(args[i], 10, 64)
			if err != nil || n < 0 {
				fmt.Fprintf(std.err, "Error: invalid size: %s\n", args[i])
				return 1
			}
			size = n
		default:
			if strings.HasPrefix(a, "-") && a != "-" {
				fmt.Fprintf(std.err, "Error: Unknown option: %s\n", a)
				return 1
			}
			file = a
		}
	}
	var src io.Reader
	switch {
	case file != "" && file != "-":
		f, err := sh.d.root.Open(rel(sh.cwd, file))
		if err == nil {
			var fi os.FileInfo
			if fi, err = f.Stat(); err == nil && fi.IsDir() {
				err = syscall.EISDIR
			}
			if err != nil {
				f.Close()
			}
		}
		if err != nil {
			fmt.Fprintf(std.err, "Error: Unable to open file: %s\nConsider using a file under /data/local/tmp/\nError: Can't open file: %s\n", file, file)
			return 1
		}
		defer f.Close()
		src, size = f, -1
	case size >= 0:
		if size > maxAPK {
			fmt.Fprint(std.out, "Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE]\n")
			return 1
		}
		src = std.in
	default:
		fmt.Fprint(std.err, "Error: must either specify a package size or an APK file\n")
		return 1
	}
	msg := sh.d.install(src, size, allowTest, allowDowngrade)
	fmt.Fprintln(std.out, msg)
	if msg != "Success" {
		return 1
	}
	return 0
}

// install stages an APK (size bytes of src, or all of it when size is -1) in a session directory
// of /data/app, as PackageInstaller does, reads its manifest, and moves it into place. It answers
// as pm does: "Success" or "Failure [CODE…]".
func (d *Device) install(src io.Reader, size int64, allowTest, allowDowngrade bool) string {
	stage := fmt.Sprintf("data/app/vmdl%d.tmp", rand.Int32())
	if err := d.root.MkdirAll(stage, 0o771); err != nil {
		return "Failure [INSTALL_FAILED_INTERNAL_ERROR: " + strerror(err) + "]"
	}
	defer d.root.RemoveAll(stage) // gone already when the install succeeded
	f, err := d.root.OpenFile(stage+"/base.apk", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "Failure [INSTALL_FAILED_INTERNAL_ERROR: " + strerror(err) + "]"
	}
	defer f.Close()
	n, err := io.Copy(f, io.LimitReader(src, limit(size)))
	switch {
	case err != nil:
		return "Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE]"
	case size >= 0 && n != size:
		return fmt.Sprintf("Failure [INSTALL_FAILED_INVALID_APK: read %d of %d bytes]", n, size)
	case n > maxAPK:
		return "Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE]"
	}
	m, err := apk.Read(f, n)
	switch {
	case errors.Is(err, apk.ErrNotAPK), errors.Is(err, apk.ErrNoManifest):
		return fmt.Sprintf("Failure [INSTALL_PARSE_FAILED_NOT_APK: Failed to parse base.apk: %v]", err)
	case err != nil:
		return fmt.Sprintf("Failure [INSTALL_PARSE_FAILED_MANIFEST_MALFORMED: Failed to parse base.apk: %v]", err)
	case m.TestOnly && !allowTest:
		return "Failure [INSTALL_FAILED_TEST_ONLY: installPackageLI]"
	}
	if err := f.Close(); err != nil {
		return "Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE]"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	old, exists := d.lookupPkg(m.Package)
	switch {
	case exists && old.System:
		return "Failure [INSTALL_FAILED_DUPLICATE_PACKAGE]"
	case exists && m.VersionCode < old.VersionCode && !allowDowngrade:
		return "Failure [INSTALL_FAILED_VERSION_DOWNGRADE]"
	}
	dir := "data/app/" + m.Package + "-1"
	err = d.root.RemoveAll(dir)
	if err == nil {
		err = d.root.Rename(stage, dir)
	}
	if err == nil {
		err = d.root.MkdirAll("data/data/"+m.Package, 0o751)
	}
	if err != nil {
		return "Failure [INSTALL_FAILED_INTERNAL_ERROR: " + strerror(err) + "]"
	}
	d.st.Packages[m.Package] = &pkgRecord{Name: m.Package, Path: "/" + dir + "/base.apk", VersionCode: m.VersionCode,
		VersionName: m.VersionName, Activities: m.Activities}
	d.stopProc(m.Package)
	if err := d.save(); err != nil {
		return "Failure [INSTALL_FAILED_INTERNAL_ERROR]"
	}
	return "Success"
}

// limit is how much of an install's source to read: its announced size, or one byte past the
// largest APK accepted, so that an oversized one is noticed.
func limit(size int64) int64 {
	if size >= 0 {
		return size
	}
	return maxAPK + 1
}

func pmUninstall(sh *shell, args []string, std *stdio) int {
	keep := false
	var rest []string
	for _, a := range dropUserFlag(args) {
		if a == "-k" {
			keep = true
			continue
		}
		rest = append(rest, a)
	}
	if len(rest) != 1 {
		fmt.Fprint(std.err, "Error: package name not specified\n")
		return 1
	}
	if err := sh.d.uninstall(rest[0], keep); err != nil {
		fmt.Fprint(std.out, "Failure [DELETE_FAILED_INTERNAL_ERROR]\n")
		return 1
	}
	fmt.Fprint(std.out, "Success\n")
	return 0
}

// errNotInstalled reports an uninstall of a package that is not a removable one.
var errNotInstalled = errors.New("not an installed package")

func (d *Device) uninstall(name string, keepData bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.st.Packages[name]
	if !ok {
		return errNotInstalled
	}
	if err := d.root.RemoveAll(strings.TrimPrefix(path.Dir(p.Path), "/")); err != nil {
		return err
	}
	if !keepData {
		if err := d.root.RemoveAll("data/data/" + name); err != nil {
			return err
		}
	}
	delete(d.st.Packages, name)
	d.stopProc(name)
	return d.save()
}

func pmClear(sh *shell, args []string, std *stdio) int {
	args = dropUserFlag(args)
	if len(args) != 1 {
		fmt.Fprint(std.err, "Error: no package specified\n")
		return 255
	}
	d := sh.d
	d.mu.Lock()
	_, ok := d.lookupPkg(args[0])
	d.mu.Unlock()
	if !ok {
		fmt.Fprint(std.out, "Failed\n")
		return 1
	}
	dir := "data/data/" + args[0]
	err := d.root.RemoveAll(dir)
	if err == nil {
		err = d.root.MkdirAll(dir, 0o751)
	}
	if err != nil {
		fmt.Fprint(std.out, "Failed\n")
		return 1
	}
	d.mu.Lock()
	d.stopProc(args[0])
	d.mu.Unlock()
	fmt.Fprint(std.out, "Success\n")
	return 0
}

func dropUserFlag(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--user" {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// proc is an app process "started" by am start, listed by ps until force-stopped, reinstalled or
// uninstalled.
type proc struct {
	pid  int
	uid  int
	name string
}

// stopProc forgets a package's process; the caller holds d.mu.
func (d *Device) stopProc(pkg string) {
	d.procs = slices.DeleteFunc(d.procs, func(p proc) bool { return p.name == pkg })
}

// runAM is `am` (and `cmd activity`): start and force-stop.
func runAM(sh *shell, args []string, std *stdio) int {
	if len(args) == 0 {
		fmt.Fprint(std.err, "usage: am [start|force-stop] ...\n")
		return 1
	}
	switch args[0] {
	case "start", "start-activity":
		return amStart(sh, args[1:], std)
	case "force-stop":
		args = dropUserFlag(args[1:])
		if len(args) != 1 {
			fmt.Fprint(std.err, "Error: no package specified\n")
			return 255
		}
		sh.d.mu.Lock()
		sh.d.stopProc(args[0])
		sh.d.mu.Unlock()
		return 0
	}
	fmt.Fprintf(std.err, "Unknown command: %s\n", args[0])
	return 255
}

func amStart(sh *shell, args []string, std *stdio) int {
	var action, data, component string
	var cats []string
	wait := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch a {
		case "-a":
			action = next()
		case "-d":
			data = next()
		case "-c":
			cats = append(cats, next())
		case "-n":
			component = next()
		case "-W":
			wait = true
		case "-S", "-D", "-N", "-R", "--activity-clear-task", "--activity-new-task", "--activity-single-top", "--activity-clear-top":
		case "-f", "--user", "-t", "-p", "--display", "--windowingMode", "--activityType":
			next()
		case "-e", "--es", "--ez", "--ei", "--el", "--ef", "--eu", "--ecn", "--eia", "--ela", "--efa", "--esa":
			next()
			next()
		case "--esn":
			next()
		default:
			if strings.HasPrefix(a, "-") {
				fmt.Fprintf(std.err, "Error: Unknown option: %s\n", a)
				return 255
			}
			if strings.Contains(a, "/") && !strings.Contains(a, ":") {
				component = a
			} else {
				data = a
			}
		}
	}
	var parts []string
	if action != "" {
		parts = append(parts, "act="+action)
	}
	if len(cats) > 0 {
		parts = append(parts, "cat=["+strings.Join(cats, ",")+"]")
	}
	if data != "" {
		parts = append(parts, "dat="+data)
	}
	pkg, class := "", ""
	if component != "" {
		var ok bool
		pkg, class, ok = strings.Cut(component, "/")
		if !ok || pkg == "" || class == "" {
			fmt.Fprintf(std.err, "Error: Bad component name: %s\n", component)
			return 255
		}
		if strings.HasPrefix(class, ".") {
			class = pkg + class
		}
		parts = append(parts, "cmp="+component)
	}
	intent := "Intent { " + strings.Join(parts, " ") + " }"
	fmt.Fprintf(std.out, "Starting: %s\n", intent)
	if pkg == "" {
		return 0
	}
	d := sh.d
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.lookupPkg(pkg)
	if !ok || !slices.Contains(p.Activities, class) {
		fmt.Fprintf(std.err, "Error type 3\nError: Activity class {%s/%s} does not exist.\n", pkg, class)
		return 1
	}
	running := false
	for _, pr := range d.procs {
		running = running || pr.name == pkg
	}
	if !running {
		d.pid++
		d.procs = append(d.procs, proc{pid: d.pid, uid: 10000 + len(d.procs) + 60, name: pkg})
	}
	if wait {
		fmt.Fprintf(std.out, "Status: ok\nLaunchState: COLD\nActivity: %s\nTotalTime: 100\nWaitTime: 110\nComplete\n", component)
	}
	return 0
}

// runCmd is `cmd SERVICE ...`, which the framework scripts call and adb uses to stream installs.
func runCmd(sh *shell, args []string, std *stdio) int {
	if len(args) == 0 {
		fmt.Fprint(std.err, "cmd: No service specified; use -l to list all services\n")
		return 20
	}
	services := map[string]command{"package": runPM, "activity": runAM, "settings": runSettings, "input": runInput, "window": runWM}
	if args[0] == "-l" {
		names := make([]string, 0, len(services))
		for n := range services {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(std.out, "Currently running services:\n  %s\n", strings.Join(names, "\n  "))
		return 0
	}
	run, ok := services[args[0]]
	if !ok {
		fmt.Fprintf(std.err, "cmd: Can't find service: %s\n", args[0])
		return 20
	}
	return run(sh, args[1:], std)
}
