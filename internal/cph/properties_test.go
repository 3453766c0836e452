package cph

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePhoneProperties(t *testing.T) {
	t.Parallel()
	long := func(n int, c string) string { return strings.Repeat(c, n) }
	tests := []struct {
		name string
		in   string
		code Code   // "" means valid
		msg  string // expected error_msg when set
		want string // expected canonical JSON when valid and set
	}{
		// The property string itself.
		{"not JSON", `{"a"`, CPS0078, "", ""},
		{"JSON array", `[]`, CPS0078, "", ""},
		{"JSON string", `"x"`, CPS0078, "", ""},
		{"JSON null", `null`, CPS0078, "", ""},
		{"empty string", ``, CPS0078, "", ""},
		{"trailing data", `{} {}`, CPS0078, "", ""},
		{"longer than 2048 bytes", `{"persist.sys.locale":"` + long(2048, "a") + `"}`, CPS0078, "", ""},
		{"empty object", `{}`, "", "", `{}`},
		{"unknown property names itself", `{"ro.product.brand":"x"}`, CPS0163, "Parameter: property ro.product.brand not supported.", ""},
		{"value not string or number", `{"ro.install.auto":true}`, CPS0164, "Parameter: Invalid property ro.install.auto.", ""},
		{"value null", `{"ro.install.auto":null}`, CPS0164, "", ""},

		// Integer 0/1 properties accept "0", "1", 0 and 1.
		{"com.cph.mainkeys 1", `{"com.cph.mainkeys":1}`, "", "", `{"com.cph.mainkeys":"1"}`},
		{"com.cph.mainkeys 2 is CPS.0127", `{"com.cph.mainkeys":"2"}`, CPS0127, "", ""},
		{"disable.status.bar 0", `{"disable.status.bar":"0"}`, "", "", ""},
		{"disable.status.bar 2", `{"disable.status.bar":2}`, CPS0164, "", ""},
		{"ro.permission.changed 1", `{"ro.permission.changed":"1"}`, "", "", ""},
		{"ro.permission.changed yes", `{"ro.permission.changed":"yes"}`, CPS0164, "", ""},
		{"ro.install.auto 1", `{"ro.install.auto":1}`, "", "", ""},
		{"ro.install.auto 1.0", `{"ro.install.auto":1.0}`, CPS0164, "", ""},
		{"ro.com.cph.non_root 0", `{"ro.com.cph.non_root":"0"}`, "", "", ""},
		{"ro.com.cph.non_root -1", `{"ro.com.cph.non_root":"-1"}`, CPS0164, "", ""},
		{"ro.com.cph.notification_disable 1", `{"ro.com.cph.notification_disable":"1"}`, "", "", ""},
		{"ro.com.cph.notification_disable empty", `{"ro.com.cph.notification_disable":""}`, CPS0164, "", ""},
		{"com.cph.disable_fb_permission 1", `{"com.cph.disable_fb_permission":"1"}`, "", "", ""},
		{"com.cph.disable_fb_permission 3", `{"com.cph.disable_fb_permission":"3"}`, CPS0164, "", ""},
		{"ro.com.cph.toast_enable 1", `{"ro.com.cph.toast_enable":"1"}`, "", "", ""},
		{"ro.com.cph.toast_enable 10", `{"ro.com.cph.toast_enable":"10"}`, CPS0164, "", ""},
		{"ro.horizontal.screen 1", `{"ro.horizontal.screen":"1"}`, "", "", ""},
		{"ro.horizontal.screen 2", `{"ro.horizontal.screen":"2"}`, CPS0164, "", ""},
		{"ro.com.cph.cloud_app_engine 0", `{"ro.com.cph.cloud_app_engine":"0"}`, "", "", ""},
		{"ro.com.cph.cloud_app_engine on", `{"ro.com.cph.cloud_app_engine":"on"}`, CPS0164, "", ""},

		// com.cph.bandwidth_limit: 1–99999999 kbit/s or -1.
		{"bandwidth_limit -1", `{"com.cph.bandwidth_limit":"-1"}`, "", "", ""},
		{"bandwidth_limit 1", `{"com.cph.bandwidth_limit":"1"}`, "", "", ""},
		{"bandwidth_limit 99999999", `{"com.cph.bandwidth_limit":99999999}`, "", "", ""},
		{"bandwidth_limit 0", `{"com.cph.bandwidth_limit":"0"}`, CPS0164, "", ""},
		{"bandwidth_limit 100000000", `{"com.cph.bandwidth_limit":"100000000"}`, CPS0164, "", ""},
		{"bandwidth_limit -2", `{"com.cph.bandwidth_limit":"-2"}`, CPS0164, "", ""},

		// com.cph.cam_local_pic_path: 1–90 of letters, digits, Chinese, - _ @ # . : / space.
		{"cam path with every allowed kind", `{"com.cph.cam_local_pic_path":"/sdcard/图片/a-b_c@#1.jpg x:y"}`, "", "", ""},
		{"cam path empty", `{"com.cph.cam_local_pic_path":""}`, CPS0164, "", ""},
		{"cam path 90", `{"com.cph.cam_local_pic_path":"` + long(90, "图") + `"}`, "", "", ""},
		{"cam path 91", `{"com.cph.cam_local_pic_path":"` + long(91, "a") + `"}`, CPS0164, "", ""},
		{"cam path with comma", `{"com.cph.cam_local_pic_path":"a,b"}`, CPS0164, "", ""},

		// persist.sys.locale: 1–64 letters, digits, -.
		{"locale zh-CN", `{"persist.sys.locale":"zh-CN"}`, "", "", ""},
		{"locale empty", `{"persist.sys.locale":""}`, CPS0164, "", ""},
		{"locale underscore", `{"persist.sys.locale":"zh_CN"}`, CPS0164, "", ""},
		{"locale 65", `{"persist.sys.locale":"` + long(65, "a") + `"}`, CPS0164, "", ""},

		// The three properties the reference spells two ways, with their own codes.
		{"write_imsi 15 digits", `{"sys.prop.write_imsi":"460021624617113"}`, "", "", ""},
		{"writeimsi is write_imsi", `{"sys.prop.writeimsi":"460021624617113"}`, "", "", `{"sys.prop.write_imsi":"460021624617113"}`},
		{"write_imsi 16 digits is CPS.0075", `{"sys.prop.write_imsi":"4600216246171130"}`, CPS0075, "", ""},
		{"writeimsi letters is CPS.0075", `{"sys.prop.writeimsi":"46002a"}`, CPS0075, "", ""},
		{"write_phonenum 20 digits", `{"sys.prop.write_phonenum":"` + long(20, "1") + `"}`, "", "", ""},
		{"writephonenum is write_phonenum", `{"sys.prop.writephonenum":"13666666666"}`, "", "", `{"sys.prop.write_phonenum":"13666666666"}`},
		{"write_phonenum 21 digits is CPS.0074", `{"sys.prop.write_phonenum":"` + long(21, "1") + `"}`, CPS0074, "", ""},
		{"writephonenum plus sign is CPS.0074", `{"sys.prop.writephonenum":"+8613666666666"}`, CPS0074, "", ""},
		{"write_wifissid", `{"sys.prop.write_wifissid":"test_wifi-1.0/x"}`, "", "", ""},
		{"writewifissid is write_wifissid", `{"sys.prop.writewifissid":"test_wifi"}`, "", "", `{"sys.prop.write_wifissid":"test_wifi"}`},
		{"write_wifissid empty is CPS.0082", `{"sys.prop.write_wifissid":""}`, CPS0082, "", ""},
		{"writewifissid space is CPS.0082", `{"sys.prop.writewifissid":"my wifi"}`, CPS0082, "", ""},
		{"write_wifissid 65 is CPS.0082", `{"sys.prop.write_wifissid":"` + long(65, "w") + `"}`, CPS0082, "", ""},
		{"both spellings at once", `{"sys.prop.writeimsi":"1","sys.prop.write_imsi":"1"}`, CPS0075, "", ""},
		{"reference example", `{"sys.prop.writephonenum":"13666666666","sys.prop.writeimsi":"460021624617113","sys.prop.writewifissid":"test_wifi"}`, "", "",
			`{"sys.prop.write_imsi":"460021624617113","sys.prop.write_phonenum":"13666666666","sys.prop.write_wifissid":"test_wifi"}`},

		// SIM and network operator properties, each with its own code.
		{"sim iso-country cn", `{"gsm.sim.operator.iso-country":"cn"}`, "", "", ""},
		{"sim iso-country digits is CPS.0131", `{"gsm.sim.operator.iso-country":"86"}`, CPS0131, "", ""},
		{"sim numeric default 46000", `{"gsm.sim.operator.numeric":"46000"}`, "", "", ""},
		{"sim numeric 11 is CPS.0132", `{"gsm.sim.operator.numeric":"` + long(11, "4") + `"}`, CPS0132, "", ""},
		{"sim alpha CMCC", `{"gsm.sim.operator.alpha":"China Mobile (CMCC)\\中国移动,@#.:/_-"}`, "", "", ""},
		{"sim alpha 91 is CPS.0133", `{"gsm.sim.operator.alpha":"` + long(91, "a") + `"}`, CPS0133, "", ""},
		{"sim alpha semicolon is CPS.0133", `{"gsm.sim.operator.alpha":"a;b"}`, CPS0133, "", ""},
		{"operator iso-country cn,us", `{"gsm.operator.iso-country":"cn,us"}`, "", "", ""},
		{"operator iso-country 11 is CPS.0128", `{"gsm.operator.iso-country":"` + long(11, "c") + `"}`, CPS0128, "", ""},
		{"operator numeric 46000", `{"gsm.operator.numeric":46000}`, "", "", `{"gsm.operator.numeric":"46000"}`},
		{"operator numeric dash is CPS.0129", `{"gsm.operator.numeric":"460-00"}`, CPS0129, "", ""},
		{"operator alpha CMCC", `{"gsm.operator.alpha":"CMCC"}`, "", "", ""},
		{"operator alpha quote is CPS.0130", `{"gsm.operator.alpha":"CM\"CC"}`, CPS0130, "", ""},

		// Deprecated properties are refused.
		{"ro.hardware.gpu.renderer deprecated", `{"ro.hardware.gpu.renderer":"x"}`, CPS0163, "", ""},
		{"ro.board.platform deprecated", `{"ro.board.platform":"hi3660"}`, CPS0163, "", ""},
		{"ro.build.product deprecated", `{"ro.build.product":"STF"}`, CPS0163, "", ""},
		{"ro.product.device deprecated", `{"ro.product.device":"HWSTF"}`, CPS0163, "", ""},
		{"ro.com.cph.sfs_enable deprecated", `{"ro.com.cph.sfs_enable":"0"}`, CPS0163, "", ""},
		{"ro.product.manufacturer deprecated", `{"ro.product.manufacturer":"Huawei"}`, CPS0163, "", ""},
		{"ro.product.name deprecated", `{"ro.product.name":"monbox"}`, CPS0163, "", ""},
		{"qemu.hw.maikeys deprecated", `{"qemu.hw.maikeys":0}`, CPS0163, "Parameter: property qemu.hw.maikeys not supported.", ""},
		{"qemu.hw.mainkeys deprecated", `{"qemu.hw.mainkeys":0}`, CPS0163, "", ""},

		// Cloud game callback URLs: http(s), [a-zA-Z0-9_./:-], at most 256.
		{"sign_check_url https", `{"com.cph.cg.sign_check_url":"https://example.com:8443/check_sign"}`, "", "", ""},
		{"sign_check_url ftp", `{"com.cph.cg.sign_check_url":"ftp://example.com/x"}`, CPS0164, "", ""},
		{"event_notify_url http", `{"com.cph.cg.event_notify_url":"http://10.0.0.1/notify"}`, "", "", ""},
		{"event_notify_url query", `{"com.cph.cg.event_notify_url":"http://a/b?c=d"}`, CPS0164, "", ""},
		{"heartbeat_url 256", `{"com.cph.cg.heartbeat_url":"http://` + long(249, "a") + `"}`, "", "", ""},
		{"heartbeat_url 257", `{"com.cph.cg.heartbeat_url":"http://` + long(250, "a") + `"}`, CPS0164, "", ""},
		{"heartbeat_interval 10 digits", `{"com.cph.cg.heartbeat_interval":"` + long(10, "9") + `"}`, "", "", ""},
		{"heartbeat_interval empty", `{"com.cph.cg.heartbeat_interval":""}`, CPS0164, "", ""},
		{"heartbeat_interval 11 digits", `{"com.cph.cg.heartbeat_interval":"` + long(11, "9") + `"}`, CPS0164, "", ""},
		{"app_port 10000", `{"com.cph.cg.app_port":"10000"}`, "", "", ""},
		{"app_port 11001", `{"com.cph.cg.app_port":11001}`, CPS0164, "", ""},
		{"h5_port 11000", `{"com.cph.cg.h5_port":11000}`, "", "", ""},
		{"h5_port 9999", `{"com.cph.cg.h5_port":"9999"}`, CPS0164, "", ""},

		// The first bad property in name order answers, whatever the object's order.
		{"errors in name order", `{"zz.unknown":"1","com.cph.mainkeys":"9"}`, CPS0127, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parsePhoneProperties(tt.in)
			if tt.code != "" {
				var ce *Error
				require.True(t, errors.As(err, &ce), "want %s, got %v", tt.code, err)
				require.Equal(t, tt.code, ce.Code)
				if tt.msg != "" {
					require.Equal(t, tt.msg, ce.Msg)
				}
				return
			}
			require.NoError(t, err)
			if tt.want != "" {
				require.Equal(t, tt.want, propertiesJSON(got))
			}
		})
	}
}

func TestEveryPropertyOfTheAppendixHasARule(t *testing.T) {
	t.Parallel()
	// Appendix A.1, in its order.
	appendix := []string{
		"com.cph.mainkeys", "disable.status.bar", "ro.permission.changed", "ro.install.auto",
		"ro.com.cph.non_root", "ro.com.cph.notification_disable", "com.cph.disable_fb_permission",
		"com.cph.bandwidth_limit", "ro.com.cph.toast_enable", "com.cph.cam_local_pic_path",
		"persist.sys.locale", "sys.prop.write_imsi", "sys.prop.write_phonenum",
		"sys.prop.write_wifissid", "gsm.sim.operator.iso-country", "gsm.sim.operator.numeric",
		"gsm.sim.operator.alpha", "gsm.operator.iso-country", "gsm.operator.numeric",
		"gsm.operator.alpha", "ro.hardware.gpu.renderer", "ro.board.platform", "ro.build.product",
		"ro.product.device", "ro.com.cph.sfs_enable", "ro.product.manufacturer", "ro.product.name",
		"qemu.hw.maikeys", "ro.horizontal.screen", "com.cph.cg.sign_check_url",
		"com.cph.cg.event_notify_url", "com.cph.cg.heartbeat_url", "com.cph.cg.heartbeat_interval",
		"com.cph.cg.app_port", "com.cph.cg.h5_port", "ro.com.cph.cloud_app_engine",
	}
	for _, name := range appendix {
		rule, ok := phoneProperties[name]
		require.True(t, ok, name)
		require.True(t, rule.deprecated || rule.valid != nil, name)
	}
	require.Len(t, phoneProperties, len(appendix)+1, "the appendix plus qemu.hw.mainkeys")
}

func TestStoredPropertiesMerge(t *testing.T) {
	t.Parallel()
	base := storedProperties(`{"sys.prop.writeimsi":"1","persist.sys.locale":"en-US"}`)
	require.Equal(t, map[string]string{"sys.prop.write_imsi": "1", "persist.sys.locale": "en-US"}, base)
	require.Empty(t, storedProperties(""), "a phone without properties")
	merged := mergeProperties(base, map[string]string{"sys.prop.write_imsi": "2"})
	require.Equal(t, `{"persist.sys.locale":"en-US","sys.prop.write_imsi":"2"}`, propertiesJSON(merged))
	require.Equal(t, "1", base["sys.prop.write_imsi"], "the base is not changed")
}
