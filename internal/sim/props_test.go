package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProperties(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("v", 92)
	for _, tc := range []struct {
		name, setup, cmd string
		out, errOut      string
		exit             int
	}{
		{name: "getprop NAME prints the value", cmd: "getprop ro.product.model", out: "rc2.se\n"},
		{name: "getprop of an unset property prints an empty line", cmd: "getprop no.such", out: "\n"},
		{name: "getprop NAME DEFAULT falls back", cmd: "getprop no.such dflt", out: "dflt\n"},
		{name: "the serial is configured", cmd: "getprop ro.serialno", out: "sim0001\n"},
		{name: "the IMEI is published", cmd: "getprop ro.ril.oem.imei", out: "861536030196001\n"},
		{name: "the density is configured", cmd: "getprop ro.sf.lcd_density", out: "320\n"},
		{name: "A.1 defaults are set", cmd: "getprop sys.prop.write_wifissid", out: "cloudphone_wifi\n"},
		{name: "adb is not secure by default", cmd: "getprop ro.adb.secure", out: "0\n"},
		{name: "setprop sets and getprop reads", cmd: "setprop debug.x 1 && getprop debug.x", out: "1\n"},
		{name: "setprop replaces a writable property", setup: "setprop debug.x 1", cmd: "setprop debug.x 2; getprop debug.x", out: "2\n"},
		{name: "setprop of an existing ro.* fails like Android", cmd: "setprop ro.product.model x",
			errOut: "Failed to set property 'ro.product.model' to 'x'.\nSee dmesg for error reason.\n", exit: 1},
		{name: "an ro.* property is set once", cmd: "setprop ro.new a && setprop ro.new b", errOut: "Failed to set property 'ro.new' to 'b'.\nSee dmesg for error reason.\n", exit: 1},
		{name: "an ro.* value may be long", cmd: "setprop ro.long " + long + " && getprop ro.long", out: long + "\n"},
		{name: "a long value is refused", cmd: "setprop debug.long " + long, errOut: "Value '" + long + "' is too long, 92 bytes vs a max of 92\n", exit: 1},
		{name: "an illegal name is refused", cmd: "setprop 'a b' x", errOut: "Invalid property name 'a b'\n", exit: 1},
		{name: "a name with an empty segment is refused", cmd: "setprop a..b x", errOut: "Invalid property name 'a..b'\n", exit: 1},
		{name: "setprop needs two arguments", cmd: "setprop a", errOut: "usage: setprop NAME VALUE\n\nSets an Android system property.\n\n  setprop foo \"\"    clear property \"foo\"\n", exit: 1},
		{name: "setprop of an empty value clears", setup: "setprop debug.x 1", cmd: "setprop debug.x '' && getprop debug.x z", out: "z\n"},
		{name: "getprop lists every property sorted", cmd: "getprop", out: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := setup(t)
			if tc.setup != "" {
				_, e, code := sh(t, d, tc.setup)
				require.Zero(t, code, e)
			}
			out, errOut, exit := sh(t, d, tc.cmd)
			if tc.cmd == "getprop" {
				lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
				require.Contains(t, lines, "[ro.product.model]: [rc2.se]")
				require.Contains(t, lines, "[ro.build.version.sdk]: [29]")
				require.IsIncreasing(t, lines)
			} else {
				require.Equal(t, tc.out, out)
			}
			require.Equal(t, tc.errOut, errOut)
			require.Equal(t, tc.exit, exit)
		})
	}
}

// TestPropertiesAcrossBoots: a new boot over the same directory keeps the identity, persist.*
// and the configured properties, and drops what setprop set otherwise, as Android's init does.
func TestPropertiesAcrossBoots(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := New(dir, Config{Model: "rc3.pro", IMEI: "861536030196001", Properties: map[string]string{
		"ro.com.cph.non_root": "0", "persist.sys.locale": "zh-CN"}})
	require.NoError(t, err)
	serial, _ := d.Property("ro.serialno")
	require.Len(t, serial, 16)
	_, _, code := sh(t, d, "setprop persist.my.flag 1 && setprop debug.gone 1 && settings put global k v")
	require.Zero(t, code)
	require.NoError(t, d.SetProperties(map[string]string{"ro.product.device": "cph2"}))
	require.NoError(t, d.Close())

	d, err = New(dir, Config{}) // no configuration: everything comes from the directory
	require.NoError(t, err)
	defer d.Close()
	for k, want := range map[string]string{
		"ro.product.model": "rc3.pro", "ro.ril.oem.imei": "861536030196001", "ro.serialno": serial,
		"ro.com.cph.non_root": "0", "persist.sys.locale": "zh-CN", "persist.my.flag": "1", "ro.product.device": "cph2",
	} {
		got, _ := d.Property(k)
		require.Equal(t, want, got, k)
	}
	_, ok := d.Property("debug.gone")
	require.False(t, ok, "a plain setprop does not survive a boot")
	out, _, _ := sh(t, d, "settings get global k")
	require.Equal(t, "v\n", out)
	out, _, _ = sh(t, d, "cat /system/build.prop")
	require.Contains(t, out, "\nro.product.device=cph2\n")
	require.Equal(t, "device::ro.product.name=monbox;ro.product.model=rc3.pro;ro.product.device=cph2;", d.Banner())
}

// TestConfigOverridesPersisted: a boot with configuration replaces what the directory had.
func TestConfigOverridesPersisted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := New(dir, Config{Model: "rc2.se", Resolution: "720x1280", DPI: 320})
	require.NoError(t, err)
	require.NoError(t, d.Close())
	d, err = New(dir, Config{Model: "rc3.max", Resolution: "1080x1920", DPI: 480, Properties: map[string]string{"ro.product.model": "Custom"}})
	require.NoError(t, err)
	defer d.Close()
	out, _, _ := sh(t, d, "getprop ro.product.model; wm size; wm density")
	require.Equal(t, "Custom\nPhysical size: 1080x1920\nPhysical density: 480\n", out, "Properties win over Model")
}

// TestSetPropertiesBypassesReadOnly: the control plane is init, not the shell user.
func TestSetPropertiesBypassesReadOnly(t *testing.T) {
	t.Parallel()
	d := setup(t)
	require.NoError(t, d.SetProperties(map[string]string{"ro.product.model": "New", "debug.x": "1"}))
	out, _, _ := sh(t, d, "getprop ro.product.model; getprop debug.x")
	require.Equal(t, "New\n1\n", out)
	require.NoError(t, d.SetProperties(map[string]string{"debug.x": ""}))
	_, ok := d.Property("debug.x")
	require.False(t, ok)
}

func TestBadResolution(t *testing.T) {
	t.Parallel()
	_, err := New(t.TempDir(), Config{Resolution: "big"})
	require.ErrorContains(t, err, `resolution "big" is not WIDTHxHEIGHT`)
}
