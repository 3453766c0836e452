package sim

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// isRoot reports whether the shell runs as root: CPH phones run it as shell unless
// ro.com.cph.non_root is 0.
func (d *Device) isRoot() bool {
	v, _ := d.Property("ro.com.cph.non_root")
	return v == "0"
}

func runID(sh *shell, _ []string, std *stdio) int {
	if sh.d.isRoot() {
		fmt.Fprintln(std.out, "uid=0(root) gid=0(root) groups=0(root),1004(input),1007(log),1011(adb),1015(sdcard_rw),1028(sdcard_r),3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid) context=u:r:su:s0")
		return 0
	}
	fmt.Fprintln(std.out, "uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),1028(sdcard_r),3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid) context=u:r:shell:s0")
	return 0
}

func runWhoami(sh *shell, _ []string, std *stdio) int {
	if sh.d.isRoot() {
		fmt.Fprintln(std.out, "root")
	} else {
		fmt.Fprintln(std.out, "shell")
	}
	return 0
}

func runUname(_ *shell, args []string, std *stdio) int {
	f, _, ok := parseFlags("uname", args, "asnrvmpio", std)
	if !ok {
		return 1
	}
	fields := []struct {
		flag byte
		v    string
	}{{'s', "Linux"}, {'n', "localhost"}, {'r', "4.19.113-opencph-sim"},
		{'v', "#1 SMP PREEMPT Sun Jan 5 00:00:00 UTC 2020"}, {'m', "aarch64"}, {'o', "Toybox"}}
	var out []string
	for _, fl := range fields {
		if f[fl.flag] || f['a'] {
			out = append(out, fl.v)
		}
	}
	if len(out) == 0 {
		out = []string{"Linux"}
	}
	fmt.Fprintln(std.out, strings.Join(out, " "))
	return 0
}

// runDf reports fixed mounts; /data's use is what the tree holds, its size Config.DiskGiB.
func runDf(sh *shell, args []string, std *stdio) int {
	f, ops, ok := parseFlags("df", args, "hkPait", std)
	if !ok {
		return 1
	}
	var used int64
	_ = fs.WalkDir(sh.d.root.FS(), ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p == "system" || p == "proc" || p == "sys" {
			return fs.SkipDir
		}
		if fi, err := de.Info(); err == nil && fi.Mode().IsRegular() {
			used += fi.Size()
		}
		return nil
	})
	sh.d.mu.Lock()
	dataKiB := int64(sh.d.st.DiskGiB) << 20
	sh.d.mu.Unlock()
	type mount struct {
		dev, dir    string
		size, usedK int64
	}
	mounts := []mount{
		{"/dev/root", "/", 2 << 20, 1835008},
		{"tmpfs", "/dev", 1 << 20, 512},
		{"tmpfs", "/mnt", 1 << 20, 0},
		{"/dev/block/vdc", "/data", dataKiB, (used + 1023) / 1024},
		{"/data/media", "/storage/emulated", dataKiB, (used + 1023) / 1024},
	}
	if len(ops) > 0 {
		var sel []mount
		for _, op := range ops {
			p := "/" + strings.TrimPrefix(rel(sh.cwd, op), ".")
			if p == "/sdcard" || strings.HasPrefix(p, "/sdcard/") {
				p = "/storage/emulated/0" + strings.TrimPrefix(p, "/sdcard")
			}
			if _, err := sh.d.root.Stat(rel(sh.cwd, op)); err != nil {
				fail(std, "df", op, devErr("stat", op, err))
				return 1
			}
			best := mounts[0]
			for _, m := range mounts {
				if p == m.dir || strings.HasPrefix(p, strings.TrimSuffix(m.dir, "/")+"/") {
					if len(m.dir) > len(best.dir) {
						best = m
					}
				}
			}
			sel = append(sel, best)
		}
		mounts = sel
	}
	if f['h'] {
		fmt.Fprintln(std.out, "Filesystem            Size  Used Avail Use% Mounted on")
	} else {
		fmt.Fprintln(std.out, "Filesystem            1K-blocks    Used Available Use% Mounted on")
	}
	for _, m := range mounts {
		avail := max(m.size-m.usedK, 0)
		pct := int64(0)
		if m.size > 0 {
			pct = (m.usedK*100 + m.size - 1) / m.size
		}
		if f['h'] {
			fmt.Fprintf(std.out, "%-20s %5s %5s %5s %3d%% %s\n", m.dev, human(m.size), human(m.usedK), human(avail), pct, m.dir)
		} else {
			fmt.Fprintf(std.out, "%-20s %10d %7d %9d %3d%% %s\n", m.dev, m.size, m.usedK, avail, pct, m.dir)
		}
	}
	return 0
}

// human renders KiB as df -h does: 1.5G, 512M, 0.
func human(kib int64) string {
	units := []string{"K", "M", "G", "T"}
	v := float64(kib)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if kib == 0 {
		return "0"
	}
	if v < 10 && v != float64(int64(v)) {
		return strconv.FormatFloat(v, 'f', 1, 64) + units[i]
	}
	return strconv.FormatInt(int64(v+0.5), 10) + units[i]
}

// runPs lists processes: without -A only the shell's own, as Android 10's ps does.
func runPs(sh *shell, args []string, std *stdio) int {
	f, _, ok := parseFlags("ps", args, "AefltwZ", std)
	if !ok {
		return 1
	}
	type p struct {
		user      string
		pid, ppid int
		name      string
	}
	user := "shell"
	if sh.d.isRoot() {
		user = "root"
	}
	sh.d.mu.Lock()
	sh.d.pid += 2
	self := sh.d.pid
	list := []p{
		{"root", 1, 0, "init"}, {"root", 2, 0, "[kthreadd]"}, {"logd", 251, 1, "logd"},
		{"system", 290, 1, "servicemanager"}, {"root", 320, 1, "zygote64"}, {"system", 610, 320, "system_server"},
		{"u0_a30", 905, 320, "com.android.systemui"}, {"radio", 951, 320, "com.android.phone"},
		{"u0_a40", 1003, 320, "com.android.launcher3"}, {"shell", 1210, 1, "adbd"},
	}
	for _, pr := range sh.d.procs {
		list = append(list, p{fmt.Sprintf("u0_a%d", pr.uid-10000), pr.pid, 320, pr.name})
	}
	sh.d.mu.Unlock()
	list = append(list, p{user, self - 1, 1210, "sh"}, p{user, self, self - 1, "ps"})
	if !f['A'] && !f['e'] {
		list = list[len(list)-2:]
	}
	fmt.Fprintln(std.out, "USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME")
	for _, pr := range list {
		fmt.Fprintf(std.out, "%-10s %7d %5d %7d %6d %-16s %4s %s %s\n", pr.user, pr.pid, pr.ppid, 1048576+pr.pid*64, 4096+pr.pid%997, "0", "0", "S", pr.name)
	}
	return 0
}

// runGetprop is Android's getprop: every property as "[name]: [value]", or one value (empty when
// unset), or one value with a default.
func runGetprop(sh *shell, args []string, std *stdio) int {
	if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(std.err, "getprop: invalid option -- '%s'\n", strings.TrimLeft(args[0], "-"))
		return 1
	}
	switch len(args) {
	case 0:
		props := sh.d.Properties()
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(std.out, "[%s]: [%s]\n", k, props[k])
		}
	case 1, 2:
		v, ok := sh.d.Property(args[0])
		if !ok && len(args) == 2 {
			v = args[1]
		}
		fmt.Fprintln(std.out, v)
	default:
		fmt.Fprint(std.err, "getprop: usage: getprop [NAME [DEFAULT]]\n")
		return 1
	}
	return 0
}

// propValueMax is PROP_VALUE_MAX: values shorter than it, except read-only ones.
const propValueMax = 92

// runSetprop follows Android 10's setprop: it checks what init would refuse and says so, and a
// ro.* property is set once and never again.
func runSetprop(sh *shell, args []string, std *stdio) int {
	if len(args) != 2 {
		fmt.Fprint(std.err, "usage: setprop NAME VALUE\n\nSets an Android system property.\n\n  setprop foo \"\"    clear property \"foo\"\n")
		return 1
	}
	name, value := args[0], args[1]
	if !legalPropName(name) {
		fmt.Fprintf(std.err, "Invalid property name '%s'\n", name)
		return 1
	}
	if len(value) >= propValueMax && !strings.HasPrefix(name, "ro.") {
		fmt.Fprintf(std.err, "Value '%s' is too long, %d bytes vs a max of %d\n", value, len(value), propValueMax)
		return 1
	}
	if !utf8.ValidString(value) {
		fmt.Fprintf(std.err, "Value '%s' is not a UTF8 encoded string\n", value)
		return 1
	}
	d := sh.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, exists := d.st.Props[name]; exists && strings.HasPrefix(name, "ro.") {
		fmt.Fprintf(std.err, "Failed to set property '%s' to '%s'.\nSee dmesg for error reason.\n", name, value)
		return 1
	}
	if value == "" {
		delete(d.st.Props, name)
	} else {
		d.st.Props[name] = value
	}
	if err := d.save(); err != nil {
		fmt.Fprintf(std.err, "Failed to set property '%s' to '%s'.\nSee dmesg for error reason.\n", name, value)
		return 1
	}
	return 0
}

// legalPropName is init's IsLegalPropertyName: dot-separated segments of letters, digits and
// "_-@:", no empty segment, no leading or trailing dot.
func legalPropName(name string) bool {
	if name == "" || name[0] == '.' || name[len(name)-1] == '.' {
		return false
	}
	prevDot := false
	for _, c := range name {
		if c == '.' {
			if prevDot {
				return false
			}
			prevDot = true
			continue
		}
		prevDot = false
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-@:", c)) {
			return false
		}
	}
	return true
}

// runSettings is `settings [--user N] get|put|delete|list NAMESPACE …` over the three tables.
func runSettings(sh *shell, args []string, std *stdio) int {
	args = dropUserFlag(args)
	usage := func() int {
		fmt.Fprint(std.err, "usage:  settings [--user <USER_ID> | current] get namespace key\n        settings [--user <USER_ID> | current] put namespace key value\n        settings [--user <USER_ID> | current] delete namespace key\n        settings [--user <USER_ID> | current] list namespace\n\n'namespace' is one of {system, secure, global}, case-insensitive\n")
		return 255
	}
	if len(args) < 2 {
		return usage()
	}
	verb, ns := args[0], strings.ToLower(args[1])
	if ns != "system" && ns != "secure" && ns != "global" {
		fmt.Fprintf(std.err, "Invalid namespace '%s'\n", args[1])
		return usage()
	}
	d := sh.d
	d.mu.Lock()
	defer d.mu.Unlock()
	table := d.st.Settings[ns]
	switch {
	case verb == "get" && len(args) == 3:
		v, ok := table[args[2]]
		if !ok {
			v = "null"
		}
		fmt.Fprintln(std.out, v)
		return 0
	case verb == "put" && len(args) >= 4:
		table[args[2]] = args[3]
	case verb == "delete" && len(args) == 3:
		n := 0
		if _, ok := table[args[2]]; ok {
			n = 1
			delete(table, args[2])
		}
		fmt.Fprintf(std.out, "Deleted %d rows\n", n)
	case verb == "list" && len(args) == 2:
		keys := make([]string, 0, len(table))
		for k := range table {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(std.out, "%s=%s\n", k, table[k])
		}
		return 0
	default:
		return usage()
	}
	if err := d.save(); err != nil {
		fmt.Fprintf(std.err, "Error while %s setting: %v\n", verb, err)
		return 255
	}
	return 0
}

// runInput checks its arguments the way the input command does and otherwise does nothing: the
// simulator has no screen to touch.
func runInput(_ *shell, args []string, std *stdio) int {
	if len(args) > 0 && inputSources[args[0]] {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprint(std.err, "Usage: input [<source>] <command> [<arg>...]\n")
		return 1
	}
	want := map[string][2]int{"text": {1, 1}, "keyevent": {1, -1}, "tap": {2, 2}, "swipe": {4, 5},
		"draganddrop": {4, 5}, "press": {0, 0}, "roll": {2, 2}}
	n, ok := want[args[0]]
	if !ok {
		fmt.Fprintf(std.err, "Error: Unknown command: %s\n", args[0])
		return 1
	}
	rest := args[1:]
	if args[0] == "keyevent" && len(rest) > 0 && rest[0] == "--longpress" {
		rest = rest[1:]
	}
	bad := len(rest) < n[0] || (n[1] >= 0 && len(rest) > n[1])
	for _, a := range rest {
		if args[0] == "text" || args[0] == "keyevent" {
			break
		}
		if _, err := strconv.ParseFloat(a, 64); err != nil {
			bad = true
		}
	}
	if bad {
		fmt.Fprintf(std.err, "Error: Invalid arguments for command: %s\n", args[0])
		return 1
	}
	return 0
}

// inputSources are the devices input may name before its command.
var inputSources = map[string]bool{"dpad": true, "gamepad": true, "joystick": true, "keyboard": true, "mouse": true,
	"stylus": true, "touchnavigation": true, "touchpad": true, "touchscreen": true, "trackball": true}

// runWM is `wm size` and `wm density`; overrides live in the settings where Android keeps them.
func runWM(sh *shell, args []string, std *stdio) int {
	if len(args) == 0 || (args[0] != "size" && args[0] != "density") {
		fmt.Fprint(std.err, "usage: wm [size|density] [reset|VALUE]\n")
		return 255
	}
	d := sh.d
	d.mu.Lock()
	defer d.mu.Unlock()
	ns, key, physical := "global", "display_size_forced", d.st.Resolution
	if args[0] == "density" {
		ns, key, physical = "secure", "display_density_forced", strconv.Itoa(d.st.DPI)
	}
	table := d.st.Settings[ns]
	if len(args) == 1 {
		label := map[string]string{"size": "size", "density": "density"}[args[0]]
		fmt.Fprintf(std.out, "Physical %s: %s\n", label, physical)
		if v, ok := table[key]; ok {
			fmt.Fprintf(std.out, "Override %s: %s\n", label, strings.ReplaceAll(v, ",", "x"))
		}
		return 0
	}
	switch v := args[1]; {
	case v == "reset":
		delete(table, key)
	case args[0] == "size":
		w, h, ok := parseSize(v)
		if !ok {
			fmt.Fprintf(std.err, "Error: bad size %s\n", v)
			return 255
		}
		table[key] = fmt.Sprintf("%d,%d", w, h)
	default:
		if n, err := strconv.Atoi(v); err != nil || n <= 0 {
			fmt.Fprintf(std.err, "Error: bad number %s\n", v)
			return 255
		}
		table[key] = v
	}
	if err := d.save(); err != nil {
		fmt.Fprintf(std.err, "Error: %v\n", err)
		return 255
	}
	return 0
}

// screenSize is the display's current size: the wm override or the physical size, turned to
// landscape when ro.horizontal.screen is 1.
func (d *Device) screenSize() (int, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	w, h, _ := parseSize(d.st.Resolution)
	if v, ok := d.st.Settings["global"]["display_size_forced"]; ok {
		if ow, oh, ok := parseSize(strings.Replace(v, ",", "x", 1)); ok {
			w, h = ow, oh
		}
	}
	if d.st.Props["ro.horizontal.screen"] == "1" && h > w {
		w, h = h, w
	}
	return w, h
}

// screenColour is the simulator's whole screen: Android's green.
var screenColour = color.RGBA{0x3d, 0xdc, 0x84, 0xff}

// runScreencap writes a PNG of the screen (-p, or a file name ending in .png) or the raw format
// (width, height, pixel format 1 = RGBA_8888, then the pixels).
func runScreencap(sh *shell, args []string, std *stdio) int {
	f, ops, ok := parseFlags("screencap", args, "hpd", std)
	if !ok {
		return 1
	}
	if f['h'] {
		fmt.Fprint(std.err, "usage: screencap [-hp] [-d display-id] [FILENAME]\n")
		return 0
	}
	var file string
	for i := 0; i < len(ops); i++ {
		if _, err := strconv.Atoi(ops[i]); err == nil && f['d'] && i == 0 {
			continue // the display id
		}
		file = ops[i]
	}
	asPNG := f['p'] || strings.HasSuffix(file, ".png")
	w, h := sh.d.screenSize()
	var buf bytes.Buffer
	if asPNG {
		img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{screenColour})
		if err := png.Encode(&buf, img); err != nil {
			fmt.Fprintf(std.err, "Error: %v\n", err)
			return 1
		}
	} else {
		hdr := make([]byte, 12)
		binary.LittleEndian.PutUint32(hdr, uint32(w))
		binary.LittleEndian.PutUint32(hdr[4:], uint32(h))
		binary.LittleEndian.PutUint32(hdr[8:], 1)
		buf.Write(hdr)
		px := []byte{screenColour.R, screenColour.G, screenColour.B, screenColour.A}
		buf.Write(bytes.Repeat(px, w*h))
	}
	if file == "" {
		std.out.Write(buf.Bytes())
		return 0
	}
	r := rel(sh.cwd, file)
	err := writable(r)
	if err == nil {
		err = sh.d.root.WriteFile(r, buf.Bytes(), 0o666)
	}
	if err != nil {
		fmt.Fprintf(std.err, "Error opening file: %s (%s)\n", file, strerror(devErr("open", file, err)))
		return 1
	}
	return 0
}

// runReboot answers at once and then tells the host, which decides what a reboot is.
func runReboot(sh *shell, _ []string, _ *stdio) int {
	if sh.d.onReboot != nil {
		go sh.d.onReboot()
	}
	return 0
}
