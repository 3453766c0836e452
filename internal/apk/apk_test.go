package apk_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/apk"
	"github.com/opencph/opencph/internal/apk/apktest"
)

// entry returns one file of a zip archive.
func entry(t *testing.T, archive []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	require.NoError(t, err)
	f, err := zr.Open(name)
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	return b
}

// poolFlags reads the flags of the document's string pool, the first chunk after the XML header.
func poolFlags(doc []byte) uint32 { return binary.LittleEndian.Uint32(doc[8+16:]) }

func TestReadCommittedAPK(t *testing.T) {
	m, err := apk.Read(bytes.NewReader(apktest.Hello), int64(len(apktest.Hello)))
	require.NoError(t, err)
	require.Equal(t, apk.Manifest{
		Package:     "org.opencph.hello",
		VersionCode: 42,
		VersionName: "1.2.3",
		MinSDK:      21,
		TargetSDK:   29,
		Activities:  []string{"org.opencph.hello.MainActivity", "org.opencph.hello.Settings"},
	}, m)
}

func TestUTF16PoolFromAapt(t *testing.T) {
	doc := entry(t, apktest.Hello, "AndroidManifest.xml")
	require.Zero(t, poolFlags(doc)&(1<<8), "aapt compiles manifests with a UTF-16 pool")
	root, err := apk.ParseXML(doc)
	require.NoError(t, err)
	app := root.Children[1]
	require.Equal(t, "application", app.Name)
	label, ok := app.Attr(0x01010001, apk.AndroidNS, "label")
	require.True(t, ok)
	require.Equal(t, "Hello ☎ Ünïcode", label.String())
}

func TestUTF8PoolFromAapt(t *testing.T) {
	doc := entry(t, apktest.Hello, "res/xml/prefs.xml")
	require.NotZero(t, poolFlags(doc)&(1<<8), "aapt compiles res/xml with a UTF-8 pool")
	root, err := apk.ParseXML(doc)
	require.NoError(t, err)
	require.Equal(t, "PreferenceScreen", root.Name)
	title, ok := root.Attr(0x010101e1, apk.AndroidNS, "title")
	require.True(t, ok)
	require.Equal(t, "Réglages ☎", title.String())
	require.Len(t, root.Children, 1)
	def, ok := root.Children[0].Attr(0, apk.AndroidNS, "defaultValue")
	require.True(t, ok)
	require.Equal(t, "true", def.String())
}

// TestUTF8Manifest re-encodes the committed manifest's pool as UTF-8, which is how aapt2 (the
// Android Gradle plugin's compiler) writes manifests.
func TestUTF8Manifest(t *testing.T) {
	doc := toUTF8(t, entry(t, apktest.Hello, "AndroidManifest.xml"))
	require.NotZero(t, poolFlags(doc)&(1<<8))
	m, err := apk.ParseManifest(doc)
	require.NoError(t, err)
	require.Equal(t, "org.opencph.hello", m.Package)
	require.Equal(t, int64(42), m.VersionCode)
	require.Equal(t, "1.2.3", m.VersionName)
}

func TestAaptBuiltManifests(t *testing.T) {
	long := strings.Repeat("ü", 200)   // over 127 bytes and units: two-byte lengths in both encodings
	huge := strings.Repeat("v", 40000) // over 32767 units: a two-unit UTF-16 length
	for _, tc := range []struct {
		name string
		spec apktest.Spec
		want apk.Manifest
		// utf16Only marks strings too long for a UTF-8 pool's 15-bit lengths.
		utf16Only bool
	}{
		{"plain", apktest.Spec{Package: "com.example.plain", VersionCode: 7, VersionName: "7.0"},
			apk.Manifest{Package: "com.example.plain", VersionCode: 7, VersionName: "7.0"}, false},
		{"no version", apktest.Spec{Package: "com.example.nover"},
			apk.Manifest{Package: "com.example.nover"}, false},
		{"largest versionCode", apktest.Spec{Package: "com.example.big", VersionCode: 2147483647, VersionName: "max"},
			apk.Manifest{Package: "com.example.big", VersionCode: 2147483647, VersionName: "max"}, false},
		{"test only", apktest.Spec{Package: "com.example.test", VersionCode: 1, TestOnly: true},
			apk.Manifest{Package: "com.example.test", VersionCode: 1, TestOnly: true}, false},
		{"long UTF-16 versionName", apktest.Spec{Package: "com.example.long", VersionCode: 2, VersionName: long},
			apk.Manifest{Package: "com.example.long", VersionCode: 2, VersionName: long}, false},
		{"very long UTF-16 versionName", apktest.Spec{Package: "com.example.huge", VersionCode: 3, VersionName: huge},
			apk.Manifest{Package: "com.example.huge", VersionCode: 3, VersionName: huge}, true},
		{"activities", apktest.Spec{Package: "com.example.act", VersionCode: 1, Activities: []string{".A", "B", "org.other.C"}},
			apk.Manifest{Package: "com.example.act", VersionCode: 1, Activities: []string{"com.example.act.A", "com.example.act.B", "org.other.C"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := apktest.Build(t, tc.spec)
			tc.want.MinSDK, tc.want.TargetSDK = 21, 29
			m, err := apk.Read(bytes.NewReader(b), int64(len(b)))
			require.NoError(t, err)
			require.True(t, equal(tc.want, m), "got %.200v", m)
			if tc.utf16Only {
				return
			}
			m8, err := apk.ParseManifest(toUTF8(t, entry(t, b, "AndroidManifest.xml")))
			require.NoError(t, err)
			require.True(t, equal(tc.want, m8), "the same manifest with a UTF-8 pool: got %.200v", m8)
		})
	}
}

func TestLongUTF8Strings(t *testing.T) {
	long := strings.Repeat("é", 300)
	spec := apktest.Spec{Package: "com.example.res", VersionCode: 1, XMLFiles: map[string]string{
		"xml/x.xml": `<x xmlns:android="http://schemas.android.com/apk/res/android" android:title="` + long + `"/>`,
	}}
	doc := entry(t, apktest.Build(t, spec), "res/xml/x.xml")
	require.NotZero(t, poolFlags(doc)&(1<<8))
	root, err := apk.ParseXML(doc)
	require.NoError(t, err)
	require.Equal(t, long, root.Attrs[0].String())
}

func TestErrors(t *testing.T) {
	manifest := entry(t, apktest.Hello, "AndroidManifest.xml")
	prefs := entry(t, apktest.Hello, "res/xml/prefs.xml")
	for _, tc := range []struct {
		name  string
		files map[string][]byte // nil: not a zip at all
		want  error
	}{
		{"not a zip", nil, apk.ErrNotAPK},
		{"no manifest", map[string][]byte{"classes.dex": []byte("dex\n035")}, apk.ErrNoManifest},
		{"text manifest", map[string][]byte{"AndroidManifest.xml": []byte(`<manifest package="a.b"/>`)}, apk.ErrFormat},
		{"truncated manifest", map[string][]byte{"AndroidManifest.xml": manifest[:len(manifest)/2]}, apk.ErrFormat},
		{"root is not manifest", map[string][]byte{"AndroidManifest.xml": prefs}, apk.ErrBadManifest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte("PK\x03\x04 this is no archive")
			if tc.files != nil {
				var buf bytes.Buffer
				zw := zip.NewWriter(&buf)
				for name, b := range tc.files {
					w, err := zw.Create(name)
					require.NoError(t, err)
					_, err = w.Write(b)
					require.NoError(t, err)
				}
				require.NoError(t, zw.Close())
				data = buf.Bytes()
			}
			_, err := apk.Read(bytes.NewReader(data), int64(len(data)))
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// TestEveryTruncationFails cuts the manifest at every length: each prefix is an error, none panics.
func TestEveryTruncationFails(t *testing.T) {
	doc := entry(t, apktest.Hello, "AndroidManifest.xml")
	for n := range len(doc) {
		_, err := apk.ParseManifest(doc[:n])
		require.Error(t, err, "prefix of %d bytes", n)
	}
}

func FuzzParseXML(f *testing.F) {
	f.Add(entry(&testing.T{}, apktest.Hello, "AndroidManifest.xml"))
	f.Add(entry(&testing.T{}, apktest.Hello, "res/xml/prefs.xml"))
	f.Fuzz(func(t *testing.T, b []byte) {
		root, err := apk.ParseXML(b)
		if err == nil && root == nil {
			t.Fatal("nil root without error")
		}
		if err != nil && !errors.Is(err, apk.ErrFormat) {
			t.Fatalf("error outside ErrFormat: %v", err)
		}
	})
}

// equal compares manifests without printing kilobytes of versionName on failure.
func equal(a, b apk.Manifest) bool { return reflect.DeepEqual(a, b) }

// toUTF8 rewrites a document's UTF-16 string pool as a UTF-8 one, adjusting the chunk sizes.
func toUTF8(t *testing.T, doc []byte) []byte {
	t.Helper()
	le := binary.LittleEndian
	pool := doc[8:]
	require.Equal(t, uint16(1), le.Uint16(pool))
	hdr, size := int(le.Uint16(pool[2:])), int(le.Uint32(pool[4:]))
	count, styles := int(le.Uint32(pool[8:])), int(le.Uint32(pool[12:]))
	require.Zero(t, styles, "styled pools are not converted")
	start := int(le.Uint32(pool[20:]))
	var data []byte
	offsets := make([]byte, 4*count)
	for i := range count {
		off := start + int(le.Uint32(pool[hdr+4*i:]))
		n := int(le.Uint16(pool[off:]))
		p := off + 2
		if n&0x8000 != 0 {
			n, p = (n&0x7fff)<<16|int(le.Uint16(pool[off+2:])), off+4
		}
		units := make([]uint16, n)
		for j := range units {
			units[j] = le.Uint16(pool[p+2*j:])
		}
		s := []byte(string(utf16.Decode(units)))
		le.PutUint32(offsets[4*i:], uint32(len(data)))
		data = appendLen8(data, n)
		data = appendLen8(data, len(s))
		data = append(append(data, s...), 0)
	}
	for len(data)%4 != 0 {
		data = append(data, 0)
	}
	newPool := append([]byte(nil), pool[:hdr]...)
	newPool = append(newPool, offsets...)
	le.PutUint32(newPool[16:], le.Uint32(pool[16:])|1<<8)
	le.PutUint32(newPool[20:], uint32(hdr+len(offsets)))
	newPool = append(newPool, data...)
	le.PutUint32(newPool[4:], uint32(len(newPool)))
	out := append(append(append([]byte(nil), doc[:8]...), newPool...), doc[8+size:]...)
	le.PutUint32(out[4:], uint32(len(out)))
	return out
}

// appendLen8 appends a UTF-8 pool length: one byte below 0x80, else two with the high bit set.
// Lengths of 0x8000 or more cannot be written in a UTF-8 pool; the caller's strings stay below.
func appendLen8(b []byte, n int) []byte {
	if n < 0x80 {
		return append(b, byte(n))
	}
	return append(b, byte(n>>8)|0x80, byte(n))
}
