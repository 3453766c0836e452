package adb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Command constants of protocol.txt; each is the little-endian ASCII of its name.
const (
	cmdCNXN uint32 = 0x4e584e43
	cmdAUTH uint32 = 0x48545541
	cmdOPEN uint32 = 0x4e45504f
	cmdOKAY uint32 = 0x59414b4f
	cmdCLSE uint32 = 0x45534c43
	cmdWRTE uint32 = 0x45545257
	cmdSTLS uint32 = 0x534c5453
	cmdSYNC uint32 = 0x434e5953
)

// Protocol versions: peers announce their highest and use the smaller one. From
// versionSkipChecksum on, data_crc32 is neither computed nor checked (adb.h A_VERSION).
const (
	versionMin          uint32 = 0x01000000
	versionSkipChecksum uint32 = 0x01000001
	versionMax                 = versionSkipChecksum
)

// AUTH argument 0 (adb_auth.h).
const (
	authToken        uint32 = 1
	authSignature    uint32 = 2
	authRSAPublicKey uint32 = 3
)

// Payload limits. CNXN and AUTH travel before the peer's maxdata is known, so they stay within
// what every adb has accepted (MAX_PAYLOAD_V1); modern adb negotiates up to 1 MiB (MAX_PAYLOAD).
const (
	// MinPayload is the smallest maxdata accepted from a peer or in options.
	MinPayload = 4 * 1024
	// MaxPayload is the largest maxdata this package announces, and the default.
	MaxPayload = 1024 * 1024
)

const headerSize = 24

// ErrProtocol marks a peer that broke protocol.txt; the connection is closed, as the protocol
// demands, because the shared stream state can no longer be trusted.
var ErrProtocol = errors.New("adb: protocol violation")

type header struct {
	cmd, arg0, arg1, length, check, magic uint32
}

func (h *header) encode(b []byte) {
	binary.LittleEndian.PutUint32(b[0:], h.cmd)
	binary.LittleEndian.PutUint32(b[4:], h.arg0)
	binary.LittleEndian.PutUint32(b[8:], h.arg1)
	binary.LittleEndian.PutUint32(b[12:], h.length)
	binary.LittleEndian.PutUint32(b[16:], h.check)
	binary.LittleEndian.PutUint32(b[20:], h.magic)
}

func decodeHeader(b []byte) header {
	return header{
		cmd:    binary.LittleEndian.Uint32(b[0:]),
		arg0:   binary.LittleEndian.Uint32(b[4:]),
		arg1:   binary.LittleEndian.Uint32(b[8:]),
		length: binary.LittleEndian.Uint32(b[12:]),
		check:  binary.LittleEndian.Uint32(b[16:]),
		magic:  binary.LittleEndian.Uint32(b[20:]),
	}
}

func (h *header) valid() error {
	if h.magic != h.cmd^0xffffffff {
		return fmt.Errorf("%w: bad magic %#x for command %#x", ErrProtocol, h.magic, h.cmd)
	}
	switch h.cmd {
	case cmdCNXN, cmdAUTH, cmdOPEN, cmdOKAY, cmdCLSE, cmdWRTE, cmdSTLS, cmdSYNC:
		return nil
	}
	return fmt.Errorf("%w: unknown command %#x", ErrProtocol, h.cmd)
}

// checksum is the pre-0x01000001 data_crc32, which despite its name is a byte sum.
func checksum(b []byte) uint32 {
	var sum uint32
	for _, c := range b {
		sum += uint32(c)
	}
	return sum
}

// message is one decoded packet; payload may come from a buffer pool (see mux.readLoop).
type message struct {
	header
	payload []byte
}

func cmdName(cmd uint32) string {
	b := []byte{byte(cmd), byte(cmd >> 8), byte(cmd >> 16), byte(cmd >> 24)}
	return string(b)
}

// readMessage reads one packet whose payload may be at most limit bytes; alloc supplies the
// payload buffer so the read loop can use pooled ones.
func readMessage(r io.Reader, hdr []byte, limit int, alloc func(int) []byte) (message, error) {
	if _, err := io.ReadFull(r, hdr[:headerSize]); err != nil {
		return message{}, err
	}
	h := decodeHeader(hdr)
	if err := h.valid(); err != nil {
		return message{}, err
	}
	if int64(h.length) > int64(limit) {
		return message{}, fmt.Errorf("%w: %s payload of %d bytes exceeds %d", ErrProtocol, cmdName(h.cmd), h.length, limit)
	}
	m := message{header: h}
	if h.length > 0 {
		m.payload = alloc(int(h.length))
		if _, err := io.ReadFull(r, m.payload); err != nil {
			return message{}, fmt.Errorf("reading %s payload: %w", cmdName(h.cmd), noEOF(err))
		}
	}
	return m, nil
}

// noEOF turns a clean EOF in the middle of a packet into the truncation it is.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// writeMessage writes one packet directly; only the handshake uses it, before the writer
// goroutine owns the connection.
func writeMessage(w io.Writer, cmd, arg0, arg1 uint32, payload []byte) error {
	b := make([]byte, headerSize+len(payload))
	h := header{cmd: cmd, arg0: arg0, arg1: arg1, length: uint32(len(payload)), check: checksum(payload), magic: cmd ^ 0xffffffff}
	h.encode(b)
	copy(b[headerSize:], payload)
	_, err := w.Write(b)
	return err
}
