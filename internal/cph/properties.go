package cph

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPropertyBytes bounds a property string: the phone's detail shows the applied set in at most
// 2048 bytes (table 5-105), so a request cannot ask for more.
const MaxPropertyBytes = 2048

// propertyRule is one row of appendix A.1: how a property's value is checked, and the code a bad
// value answers with. Where section 8.2 has a code of the property's own ("Property [imsi] is
// invalid") that code is used; every other property answers CPS.0164 naming itself.
type propertyRule struct {
	valid func(v string) bool
	code  Code
	// deprecated properties ("已弃用") are refused like unknown ones, with CPS.0163.
	deprecated bool
}

// propertyAliases maps the spellings of the reference's examples to the appendix's names, so a
// client using either sets the same property; the phone shows the appendix's.
var propertyAliases = map[string]string{
	"sys.prop.writephonenum": "sys.prop.write_phonenum",
	"sys.prop.writeimsi":     "sys.prop.write_imsi",
	"sys.prop.writewifissid": "sys.prop.write_wifissid",
}

// phoneProperties is appendix A.1. Two readings where the appendix contradicts itself: it allows
// only letters and commas in the two *.numeric codes yet gives them the default 46000, so digits
// are accepted too; and it lists the deprecated qemu.hw.maikeys while its com.cph.mainkeys row
// names qemu.hw.mainkeys as deprecated, so both spellings are refused.
var phoneProperties = map[string]propertyRule{
	"com.cph.mainkeys":                {valid: oneOf("0", "1"), code: CPS0127},
	"disable.status.bar":              {valid: oneOf("0", "1")},
	"ro.permission.changed":           {valid: oneOf("0", "1")},
	"ro.install.auto":                 {valid: oneOf("0", "1")},
	"ro.com.cph.non_root":             {valid: oneOf("0", "1")},
	"ro.com.cph.notification_disable": {valid: oneOf("0", "1")},
	"com.cph.disable_fb_permission":   {valid: oneOf("0", "1")},
	"com.cph.bandwidth_limit":         {valid: bandwidthLimit},
	"ro.com.cph.toast_enable":         {valid: oneOf("0", "1")},
	"com.cph.cam_local_pic_path":      {valid: text(1, 90, isHan, "-_@#.:/ ")},
	"persist.sys.locale":              {valid: text(1, 64, nil, "-")},
	"sys.prop.write_imsi":             {valid: digits(0, 15), code: CPS0075},
	"sys.prop.write_phonenum":         {valid: digits(0, 20), code: CPS0074},
	"sys.prop.write_wifissid":         {valid: text(1, 64, nil, "-_./"), code: CPS0082},
	"gsm.sim.operator.iso-country":    {valid: letters(10, ","), code: CPS0131},
	"gsm.sim.operator.numeric":        {valid: text(0, 10, nil, ","), code: CPS0132},
	"gsm.sim.operator.alpha":          {valid: text(0, 90, isHan, `-_@#.,:/\() `), code: CPS0133},
	"gsm.operator.iso-country":        {valid: letters(10, ","), code: CPS0128},
	"gsm.operator.numeric":            {valid: text(0, 10, nil, ","), code: CPS0129},
	"gsm.operator.alpha":              {valid: text(0, 90, isHan, `-_@#.,:/\() `), code: CPS0130},
	"ro.hardware.gpu.renderer":        {deprecated: true},
	"ro.board.platform":               {deprecated: true},
	"ro.build.product":                {deprecated: true},
	"ro.product.device":               {deprecated: true},
	"ro.com.cph.sfs_enable":           {deprecated: true},
	"ro.product.manufacturer":         {deprecated: true},
	"ro.product.name":                 {deprecated: true},
	"qemu.hw.maikeys":                 {deprecated: true},
	"qemu.hw.mainkeys":                {deprecated: true},
	"ro.horizontal.screen":            {valid: oneOf("0", "1")},
	"com.cph.cg.sign_check_url":       {valid: callbackURL},
	"com.cph.cg.event_notify_url":     {valid: callbackURL},
	"com.cph.cg.heartbeat_url":        {valid: callbackURL},
	"com.cph.cg.heartbeat_interval":   {valid: digits(1, 10)},
	"com.cph.cg.app_port":             {valid: intIn(10000, 11000)},
	"com.cph.cg.h5_port":              {valid: intIn(10000, 11000)},
	"ro.com.cph.cloud_app_engine":     {valid: oneOf("0", "1")},
}

// parsePhoneProperties validates a property string of a request against appendix A.1 and returns
// the set under the appendix's names, values as the strings Android properties are. A value may
// be a JSON string or number ("1" and 1 are the same); anything that is not a JSON object is
// CPS.0078, an unknown or deprecated name CPS.0163, a bad value the property's code. Names are
// checked in sorted order so that one bad request always gets the same answer.
func parsePhoneProperties(s string) (map[string]string, error) {
	if len(s) > MaxPropertyBytes {
		return nil, CPS0078.Errf("longer than %d bytes", MaxPropertyBytes)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil || raw == nil || dec.More() {
		return nil, CPS0078.Errf("not a JSON object")
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make(map[string]string, len(raw))
	for _, name := range names {
		canon := canonicalProperty(name)
		rule, ok := phoneProperties[canon]
		if !ok || rule.deprecated {
			return nil, CPS0163.Errf("%s", name)
		}
		v, ok := propertyValue(raw[name])
		_, twice := out[canon]
		if !ok || twice || !rule.valid(v) {
			return nil, rule.invalid(canon)
		}
		out[canon] = v
	}
	return out, nil
}

// storedProperties reads a phone's applied set, which earlier versions may have stored under the
// examples' spellings; it never fails, as the set was validated when it was applied.
func storedProperties(s string) map[string]string {
	out := map[string]string{}
	var raw map[string]string
	if json.Unmarshal([]byte(s), &raw) != nil {
		return out
	}
	for k, v := range raw {
		out[canonicalProperty(k)] = v
	}
	return out
}

// mergeProperties is base with over's values on top: an operation sets the properties it names
// and keeps the others.
func mergeProperties(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// propertiesJSON is the set as the phone's detail shows it: a JSON object with sorted keys.
func propertiesJSON(props map[string]string) string {
	if len(props) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(props) // a map of strings always marshals
	return string(b)
}

func canonicalProperty(name string) string {
	if c, ok := propertyAliases[name]; ok {
		return c
	}
	return name
}

func (r propertyRule) invalid(name string) error {
	if r.code != "" {
		return r.code.Err()
	}
	return CPS0164.Errf("%s", name)
}

// propertyValue reads a JSON string or number as the property's text.
func propertyValue(raw json.RawMessage) (string, bool) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

func oneOf(allowed ...string) func(string) bool {
	return func(v string) bool { return slices.Contains(allowed, v) }
}

var integer = regexp.MustCompile(`^-?[0-9]+$`)

func intIn(lo, hi int) func(string) bool {
	return func(v string) bool {
		if !integer.MatchString(v) {
			return false
		}
		n, err := strconv.Atoi(v)
		return err == nil && n >= lo && n <= hi
	}
}

// bandwidthLimit is kbit/s in 1–99999999, or -1 for no limit.
func bandwidthLimit(v string) bool { return v == "-1" || intIn(1, 99999999)(v) }

func digits(minLen, maxLen int) func(string) bool {
	return func(v string) bool {
		if len(v) < minLen || len(v) > maxLen {
			return false
		}
		for i := range len(v) {
			if v[i] < '0' || v[i] > '9' {
				return false
			}
		}
		return true
	}
}

// letters is at most maxLen ASCII letters and the extra characters.
func letters(maxLen int, extra string) func(string) bool {
	return func(v string) bool {
		if utf8.RuneCountInString(v) > maxLen {
			return false
		}
		for _, r := range v {
			if !isASCIILetter(r) && !strings.ContainsRune(extra, r) {
				return false
			}
		}
		return true
	}
}

// text is minLen–maxLen characters of ASCII letters and digits, the extra characters, and those
// more accepts (Chinese characters where the appendix allows them).
func text(minLen, maxLen int, more func(rune) bool, extra string) func(string) bool {
	return func(v string) bool {
		if n := utf8.RuneCountInString(v); n < minLen || n > maxLen || !utf8.ValidString(v) {
			return false
		}
		for _, r := range v {
			ok := isASCIILetter(r) || (r >= '0' && r <= '9') || strings.ContainsRune(extra, r) ||
				(more != nil && more(r))
			if !ok {
				return false
			}
		}
		return true
	}
}

var callbackURLPattern = regexp.MustCompile(`^https?://[a-zA-Z0-9_./:-]+$`)

// callbackURL is an http(s) URL of at most 256 characters of [a-zA-Z0-9_./:-].
func callbackURL(v string) bool { return len(v) <= 256 && callbackURLPattern.MatchString(v) }

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func isASCIILetter(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }
