package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	fsDir     = "fs"
	stateFile = "device.json"
)

// state is everything Android would keep on /data besides files, written to <dir>/device.json.
type state struct {
	Serial     string `json:"serial"`
	Model      string `json:"model"`
	IMEI       string `json:"imei,omitempty"`
	Resolution string `json:"resolution"`
	DPI        int    `json:"dpi"`
	DiskGiB    int    `json:"disk_gib"`
	// Props are the live properties. Only persist.* and Configured survive a boot, as on Android.
	Props map[string]string `json:"properties"`
	// Configured are the control plane's properties, applied over everything at each boot.
	Configured map[string]string            `json:"configured"`
	Settings   map[string]map[string]string `json:"settings"`
	Packages   map[string]*pkgRecord        `json:"packages"`
}

// boot loads the persisted state, applies cfg over it, rebuilds the properties the way init does
// (defaults from the image, then persist.*, then the configured ones), lays out the tree and
// saves.
func (d *Device) boot(cfg Config) error {
	var st state
	b, err := os.ReadFile(filepath.Join(d.dir, stateFile))
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("read %s: %w", stateFile, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	pick := func(dst *string, v, def string) {
		if v != "" {
			*dst = v
		} else if *dst == "" {
			*dst = def
		}
	}
	pick(&st.Serial, cfg.Serial, fmt.Sprintf("%016x", rand.Uint64()))
	pick(&st.Model, cfg.Model, "cloudphone")
	pick(&st.IMEI, cfg.IMEI, "")
	pick(&st.Resolution, cfg.Resolution, "720x1280")
	if _, _, ok := parseSize(st.Resolution); !ok {
		return fmt.Errorf("resolution %q is not WIDTHxHEIGHT", st.Resolution)
	}
	for dst, v := range map[*int]int{&st.DPI: cfg.DPI, &st.DiskGiB: cfg.DiskGiB} {
		if v > 0 {
			*dst = v
		}
	}
	if st.DPI <= 0 {
		st.DPI = 320
	}
	if st.DiskGiB <= 0 {
		st.DiskGiB = 32
	}
	if st.Configured == nil {
		st.Configured = map[string]string{}
	}
	for k, v := range cfg.Properties {
		st.Configured[k] = v
	}
	props := defaultProps(&st)
	for k, v := range st.Props {
		if strings.HasPrefix(k, "persist.") {
			props[k] = v
		}
	}
	for k, v := range st.Configured {
		props[k] = v
	}
	st.Props = props
	if st.Settings == nil {
		st.Settings = map[string]map[string]string{}
	}
	for ns, kv := range defaultSettings(&st) {
		if st.Settings[ns] == nil {
			st.Settings[ns] = map[string]string{}
		}
		for k, v := range kv {
			if _, ok := st.Settings[ns][k]; !ok {
				st.Settings[ns][k] = v
			}
		}
	}
	if st.Packages == nil {
		st.Packages = map[string]*pkgRecord{}
	}
	d.st = st
	if err := d.layout(); err != nil {
		return err
	}
	return d.save()
}

// save writes the state; the caller holds d.mu (or owns d alone, during boot).
func (d *Device) save() error {
	b, err := json.MarshalIndent(&d.st, "", "  ")
	if err != nil {
		return fmt.Errorf("sim: encode state: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(d.dir, stateFile), b); err != nil {
		return fmt.Errorf("sim: save state: %w", err)
	}
	return nil
}

// defaultProps are the properties of the simulated image: an Android 10 build with the CPH
// defaults of appendix A.1 of the reference.
func defaultProps(st *state) map[string]string {
	p := map[string]string{
		"ro.build.version.release":        "10",
		"ro.build.version.sdk":            "29",
		"ro.build.version.security_patch": "2020-01-05",
		"ro.build.id":                     "QQ1A.200105.002",
		"ro.build.version.incremental":    "opencph.sim",
		"ro.build.type":                   "userdebug",
		"ro.build.tags":                   "release-keys",
		"ro.build.user":                   "opencph",
		"ro.build.host":                   "opencph",
		"ro.build.product":                "STF",
		"ro.board.platform":               "hi3660",
		"ro.hardware":                     "cph",
		"ro.product.brand":                "HUAWEI",
		"ro.product.manufacturer":         "Huawei",
		"ro.product.name":                 "monbox",
		"ro.product.device":               "HWSTF",
		"ro.product.model":                st.Model,
		"ro.product.cpu.abi":              "arm64-v8a",
		"ro.product.cpu.abilist":          "arm64-v8a,armeabi-v7a,armeabi",
		"ro.product.locale":               "en-US",
		"ro.serialno":                     st.Serial,
		"ro.boot.serialno":                st.Serial,
		"ro.sf.lcd_density":               strconv.Itoa(st.DPI),
		"ro.secure":                       "1",
		"ro.debuggable":                   "1",
		"ro.adb.secure":                   "0",
		"ro.kernel.qemu":                  "0",
		"ro.opencph.simulator":            "1",
		"ro.com.cph.non_root":             "1",
		"ro.com.cph.notification_disable": "0",
		"ro.com.cph.toast_enable":         "0",
		"ro.permission.changed":           "0",
		"ro.install.auto":                 "0",
		"ro.horizontal.screen":            "0",
		"com.cph.mainkeys":                "0",
		"disable.status.bar":              "0",
		"com.cph.disable_fb_permission":   "0",
		"com.cph.bandwidth_limit":         "-1",
		"sys.prop.write_wifissid":         "cloudphone_wifi",
		"gsm.sim.operator.iso-country":    "cn",
		"gsm.sim.operator.numeric":        "46000",
		"gsm.sim.operator.alpha":          "CMCC",
		"gsm.operator.iso-country":        "cn",
		"gsm.operator.numeric":            "46000",
		"gsm.operator.alpha":              "CMCC",
		"persist.sys.locale":              "en-US",
		"persist.sys.timezone":            "Asia/Shanghai",
		"service.adb.tcp.port":            "5555",
		"init.svc.adbd":                   "running",
		"sys.boot_completed":              "1",
		"dev.bootcomplete":                "1",
		"net.hostname":                    "localhost",
	}
	p["ro.build.fingerprint"] = fmt.Sprintf("%s/%s/%s:%s/%s/%s:%s/%s", p["ro.product.brand"], p["ro.product.name"],
		p["ro.product.device"], p["ro.build.version.release"], p["ro.build.id"], p["ro.build.version.incremental"],
		p["ro.build.type"], p["ro.build.tags"])
	p["ro.build.description"] = fmt.Sprintf("%s-%s %s %s %s %s", p["ro.product.name"], p["ro.build.type"],
		p["ro.build.version.release"], p["ro.build.id"], p["ro.build.version.incremental"], p["ro.build.tags"])
	p["ro.build.display.id"] = p["ro.build.id"]
	if st.IMEI != "" {
		p["ro.ril.oem.imei"] = st.IMEI
	}
	return p
}

func defaultSettings(st *state) map[string]map[string]string {
	return map[string]map[string]string{
		"global": {"adb_enabled": "1", "airplane_mode_on": "0", "device_name": st.Model, "stay_on_while_plugged_in": "0",
			"development_settings_enabled": "1"},
		"system": {"screen_brightness": "102", "screen_off_timeout": "60000", "font_scale": "1.0", "accelerometer_rotation": "0"},
		"secure": {"android_id": fmt.Sprintf("%016x", rand.Uint64()), "default_input_method": "com.android.inputmethod.latin/.LatinIME"},
	}
}

// The command binaries of /system/bin: toybox's applets are links to it, the framework commands
// are the scripts Android ships, and the rest are stand-ins for native binaries.
var (
	toyboxApplets = []string{"cat", "cp", "df", "echo", "getprop", "id", "ls", "mkdir", "mv", "ps", "pwd",
		"reboot", "rm", "setprop", "touch", "uname", "whoami"}
	frameworkScripts = map[string]string{"am": "activity", "pm": "package", "settings": "settings", "input": "input", "wm": "window"}
	nativeBinaries   = []string{"sh", "toybox", "cmd", "screencap"}
)

// layout makes the phone's directories and writes /system, which is the image and so is written
// afresh at every boot.
func (d *Device) layout() error {
	dirs := []string{"cache", "data/app", "data/data", "data/local/tmp", "data/system", "data/property", "data/misc/adb", "dev", "mnt",
		"proc", "sys", "vendor", "storage/self", "system/app", "system/priv-app", "system/bin", "system/etc",
		"system/framework"}
	for _, sub := range []string{"Alarms", "Android", "DCIM", "Download", "Movies", "Music", "Notifications",
		"Pictures", "Podcasts", "Ringtones"} {
		dirs = append(dirs, "storage/emulated/0/"+sub)
	}
	for _, p := range systemPackages {
		dirs = append(dirs, path.Dir(strings.TrimPrefix(p.Path, "/")), "data/data/"+p.Name)
	}
	for _, dir := range dirs {
		if err := d.root.MkdirAll(dir, 0o771); err != nil {
			return err
		}
	}
	// Relative links: os.Root follows only links that stay inside the tree and are not absolute.
	links := map[string]string{"sdcard": "storage/emulated/0", "etc": "system/etc", "storage/self/primary": "../emulated/0"}
	for _, a := range toyboxApplets {
		links["system/bin/"+a] = "toybox"
	}
	for name, target := range links {
		if _, err := d.root.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			if err := d.root.Symlink(target, name); err != nil {
				return err
			}
		}
	}
	files := map[string]string{
		"system/build.prop": d.buildProp(),
		"system/etc/hosts":  "127.0.0.1       localhost\n::1             ip6-localhost\n",
	}
	for name, svc := range frameworkScripts {
		files["system/bin/"+name] = "#!/system/bin/sh\ncmd " + svc + " \"$@\"\n"
	}
	for _, name := range nativeBinaries {
		files["system/bin/"+name] = "OpenCPH simulator stand-in for /system/bin/" + name + "\n"
	}
	for _, p := range systemPackages {
		files[strings.TrimPrefix(p.Path, "/")] = "OpenCPH simulator stand-in for " + p.Name + "\n"
	}
	for name, content := range files {
		if err := d.root.WriteFile(name, []byte(content), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// buildProp renders /system/build.prop from the build properties of this boot.
func (d *Device) buildProp() string {
	var keys []string
	for k := range d.st.Props {
		if strings.HasPrefix(k, "ro.") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("\n# begin build properties\n# autogenerated by the OpenCPH simulator\n")
	for _, k := range keys {
		b.WriteString(k + "=" + d.st.Props[k] + "\n")
	}
	b.WriteString("# end build properties\n")
	return b.String()
}

// parseSize reads "WIDTHxHEIGHT".
func parseSize(s string) (w, h int, ok bool) {
	ws, hs, found := strings.Cut(s, "x")
	if !found {
		return 0, 0, false
	}
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	return w, h, err1 == nil && err2 == nil && w > 0 && h > 0 && w <= 16384 && h <= 16384
}
