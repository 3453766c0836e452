package apk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
)

// Chunk types of the resource format (frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h).
const (
	chunkStringPool   = 0x0001
	chunkXML          = 0x0003
	chunkXMLStartNS   = 0x0100
	chunkXMLEndNS     = 0x0101
	chunkXMLStartElem = 0x0102
	chunkXMLEndElem   = 0x0103
	chunkXMLCData     = 0x0104
	chunkXMLResMap    = 0x0180

	poolUTF8Flag = 1 << 8
	noIndex      = 0xffffffff
)

// Value types of a Res_value, the typed half of an attribute.
const (
	TypeNull      = 0x00
	TypeReference = 0x01
	TypeAttribute = 0x02
	TypeString    = 0x03
	TypeFloat     = 0x04
	TypeDimension = 0x05
	TypeFraction  = 0x06
	TypeIntDec    = 0x10
	TypeIntHex    = 0x11
	TypeIntBool   = 0x12
)

// ErrFormat reports input that is not a well-formed binary XML document.
var ErrFormat = errors.New("apk: malformed binary XML")

// Element is one start tag of a binary XML document with its attributes and child elements; the
// compiler drops text and comments that matter to nothing we read.
type Element struct {
	Namespace string // the namespace URI, "" for none
	Name      string
	Attrs     []Attr
	Children  []*Element
}

// Attr is one attribute. Compiled attributes keep both the raw text (when the compiler kept it) and
// a typed value; ResID is the attribute's resource id from the document's resource map, which is
// how Android itself identifies framework attributes, names being optional after obfuscation.
type Attr struct {
	Namespace string
	Name      string
	ResID     uint32 // 0 when the attribute has no resource id
	Raw       string // the raw string value, "" when absent
	HasRaw    bool
	Type      uint8  // one of the Type* constants
	Data      uint32 // the typed value's data; for TypeString an index into the string pool
	str       string // the pool string for TypeString
}

// String renders the value the way aapt dump does for the common types.
func (a Attr) String() string {
	if a.HasRaw {
		return a.Raw
	}
	switch a.Type {
	case TypeString:
		return a.str
	case TypeIntDec:
		return strconv.FormatInt(int64(int32(a.Data)), 10)
	case TypeIntHex:
		return "0x" + strconv.FormatUint(uint64(a.Data), 16)
	case TypeIntBool:
		return strconv.FormatBool(a.Data != 0)
	case TypeFloat:
		return strconv.FormatFloat(float64(math.Float32frombits(a.Data)), 'g', -1, 32)
	case TypeReference:
		return fmt.Sprintf("@0x%08x", a.Data)
	case TypeAttribute:
		return fmt.Sprintf("?0x%08x", a.Data)
	case TypeNull:
		return ""
	}
	return fmt.Sprintf("(type 0x%02x)0x%x", a.Type, a.Data)
}

// Int reports the attribute as an integer: a typed integer, or raw text that parses as one.
func (a Attr) Int() (int64, bool) {
	switch a.Type {
	case TypeIntDec, TypeIntHex:
		return int64(int32(a.Data)), true
	case TypeIntBool:
		if a.Data != 0 {
			return 1, true
		}
		return 0, true
	}
	n, err := strconv.ParseInt(a.String(), 0, 64)
	return n, err == nil
}

// Attr finds an attribute by resource id, or, failing that, by namespace and name.
func (e *Element) Attr(resID uint32, namespace, name string) (Attr, bool) {
	for _, a := range e.Attrs {
		if resID != 0 && a.ResID == resID {
			return a, true
		}
	}
	for _, a := range e.Attrs {
		if a.Name == name && a.Namespace == namespace && (a.ResID == 0 || resID == 0) {
			return a, true
		}
	}
	return Attr{}, false
}

// ParseXML decodes a compiled (binary) XML document such as an APK's AndroidManifest.xml and
// returns its root element. Both UTF-8 and UTF-16 string pools are read.
func ParseXML(data []byte) (*Element, error) {
	typ, hdr, size, err := chunkHeader(data, 0)
	if err != nil {
		return nil, err
	}
	if typ != chunkXML {
		return nil, fmt.Errorf("%w: first chunk type 0x%04x, want 0x%04x", ErrFormat, typ, chunkXML)
	}
	d := decoder{}
	var stack []*Element
	var root *Element
	for off := hdr; off < size; {
		ctyp, chdr, csize, err := chunkHeader(data[:size], off)
		if err != nil {
			return nil, err
		}
		chunk := data[off : off+csize]
		switch ctyp {
		case chunkStringPool:
			if d.pool, err = parsePool(chunk, chdr); err != nil {
				return nil, err
			}
		case chunkXMLResMap:
			d.resMap = d.resMap[:0]
			for p := chdr; p+4 <= csize; p += 4 {
				d.resMap = append(d.resMap, binary.LittleEndian.Uint32(chunk[p:]))
			}
		case chunkXMLStartElem:
			el, err := d.startElement(chunk, chdr)
			if err != nil {
				return nil, err
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, el)
			} else if root == nil {
				root = el
			}
			stack = append(stack, el)
		case chunkXMLEndElem:
			if len(stack) == 0 {
				return nil, fmt.Errorf("%w: end tag without start tag", ErrFormat)
			}
			stack = stack[:len(stack)-1]
		case chunkXMLStartNS, chunkXMLEndNS, chunkXMLCData:
			// Namespaces arrive already resolved as URIs on each element and attribute; text is
			// not part of anything a manifest reader needs.
		}
		off += csize
	}
	if root == nil {
		return nil, fmt.Errorf("%w: no element", ErrFormat)
	}
	return root, nil
}

// chunkHeader reads the ResChunk_header at off and checks that the chunk lies inside data.
func chunkHeader(data []byte, off int) (typ uint16, hdr, size int, err error) {
	if off < 0 || off+8 > len(data) {
		return 0, 0, 0, fmt.Errorf("%w: truncated chunk header at %d", ErrFormat, off)
	}
	typ = binary.LittleEndian.Uint16(data[off:])
	hdr = int(binary.LittleEndian.Uint16(data[off+2:]))
	size = int(binary.LittleEndian.Uint32(data[off+4:]))
	if hdr < 8 || size < hdr || size > len(data)-off {
		return 0, 0, 0, fmt.Errorf("%w: chunk 0x%04x at %d: header %d, size %d, %d bytes left", ErrFormat, typ, off, hdr, size, len(data)-off)
	}
	return typ, hdr, size, nil
}

type decoder struct {
	pool   []string
	resMap []uint32
}

func (d *decoder) str(idx uint32) (string, error) {
	if idx == noIndex {
		return "", nil
	}
	if int64(idx) >= int64(len(d.pool)) {
		return "", fmt.Errorf("%w: string index %d out of %d", ErrFormat, idx, len(d.pool))
	}
	return d.pool[idx], nil
}

// startElement decodes a ResXMLTree_node followed by its ResXMLTree_attrExt and attributes.
func (d *decoder) startElement(c []byte, hdr int) (*Element, error) {
	if hdr+20 > len(c) {
		return nil, fmt.Errorf("%w: truncated start element", ErrFormat)
	}
	ext := c[hdr:]
	le := binary.LittleEndian
	el := &Element{}
	var err error
	if el.Namespace, err = d.str(le.Uint32(ext[0:])); err != nil {
		return nil, err
	}
	if el.Name, err = d.str(le.Uint32(ext[4:])); err != nil {
		return nil, err
	}
	start, asize, count := int(le.Uint16(ext[8:])), int(le.Uint16(ext[10:])), int(le.Uint16(ext[12:]))
	if asize < 20 {
		return nil, fmt.Errorf("%w: attribute size %d", ErrFormat, asize)
	}
	if start+asize*count > len(ext) {
		return nil, fmt.Errorf("%w: attributes overrun their element", ErrFormat)
	}
	el.Attrs = make([]Attr, 0, count)
	for i := range count {
		b := ext[start+i*asize:]
		nameIdx := le.Uint32(b[4:])
		a := Attr{Type: b[15], Data: le.Uint32(b[16:])}
		if a.Namespace, err = d.str(le.Uint32(b[0:])); err != nil {
			return nil, err
		}
		if a.Name, err = d.str(nameIdx); err != nil {
			return nil, err
		}
		if int64(nameIdx) < int64(len(d.resMap)) {
			a.ResID = d.resMap[nameIdx]
		}
		if raw := le.Uint32(b[8:]); raw != noIndex {
			if a.Raw, err = d.str(raw); err != nil {
				return nil, err
			}
			a.HasRaw = true
		}
		if a.Type == TypeString {
			if a.str, err = d.str(a.Data); err != nil {
				return nil, err
			}
		}
		el.Attrs = append(el.Attrs, a)
	}
	return el, nil
}

// parsePool decodes a ResStringPool chunk. Styles are not needed and skipped.
func parsePool(c []byte, hdr int) ([]string, error) {
	if hdr < 28 {
		return nil, fmt.Errorf("%w: string pool header size %d", ErrFormat, hdr)
	}
	le := binary.LittleEndian
	count := int64(le.Uint32(c[8:]))
	flags := le.Uint32(c[16:])
	stringsStart := int64(le.Uint32(c[20:]))
	if int64(hdr)+count*4 > int64(len(c)) || stringsStart > int64(len(c)) {
		return nil, fmt.Errorf("%w: string pool of %d strings overruns its chunk", ErrFormat, count)
	}
	pool := make([]string, count)
	for i := range pool {
		off := stringsStart + int64(le.Uint32(c[hdr+i*4:]))
		if off >= int64(len(c)) {
			return nil, fmt.Errorf("%w: string %d offset out of range", ErrFormat, i)
		}
		var s string
		var err error
		if flags&poolUTF8Flag != 0 {
			s, err = utf8At(c[off:])
		} else {
			s, err = utf16At(c[off:])
		}
		if err != nil {
			return nil, fmt.Errorf("string %d: %w", i, err)
		}
		pool[i] = s
	}
	return pool, nil
}

// utf8At reads a UTF-8 pool entry: its length in UTF-16 units, then in bytes (each one byte, or two
// with the high bit set), then the bytes.
func utf8At(b []byte) (string, error) {
	_, p, err := utf8Len(b, 0)
	if err != nil {
		return "", err
	}
	n, p, err := utf8Len(b, p)
	if err != nil {
		return "", err
	}
	if p+n > len(b) {
		return "", fmt.Errorf("%w: string of %d bytes overruns the pool", ErrFormat, n)
	}
	return string(b[p : p+n]), nil
}

func utf8Len(b []byte, p int) (n, next int, err error) {
	if p >= len(b) {
		return 0, 0, fmt.Errorf("%w: truncated string length", ErrFormat)
	}
	if b[p]&0x80 == 0 {
		return int(b[p]), p + 1, nil
	}
	if p+1 >= len(b) {
		return 0, 0, fmt.Errorf("%w: truncated string length", ErrFormat)
	}
	return int(b[p]&0x7f)<<8 | int(b[p+1]), p + 2, nil
}

// utf16At reads a UTF-16 pool entry: its length in units (one, or two with the high bit set), then
// the units.
func utf16At(b []byte) (string, error) {
	if len(b) < 2 {
		return "", fmt.Errorf("%w: truncated string length", ErrFormat)
	}
	le := binary.LittleEndian
	n, p := int(le.Uint16(b)), 2
	if n&0x8000 != 0 {
		if len(b) < 4 {
			return "", fmt.Errorf("%w: truncated string length", ErrFormat)
		}
		n, p = (n&0x7fff)<<16|int(le.Uint16(b[2:])), 4
	}
	if p+2*n > len(b) {
		return "", fmt.Errorf("%w: string of %d units overruns the pool", ErrFormat, n)
	}
	units := make([]uint16, n)
	for i := range units {
		units[i] = le.Uint16(b[p+2*i:])
	}
	return string(utf16.Decode(units)), nil
}
