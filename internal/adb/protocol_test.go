package adb

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawHost speaks the wire protocol by hand, to check what the device side sends and how it
// treats peers that break the rules.
type rawHost struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawHost {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	require.NoError(t, nc.SetDeadline(time.Now().Add(10*time.Second)))
	return &rawHost{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (h *rawHost) send(cmd, arg0, arg1 uint32, payload string) {
	h.t.Helper()
	require.NoError(h.t, writeMessage(h.nc, cmd, arg0, arg1, []byte(payload)))
}

func (h *rawHost) sendHeader(hd header) {
	h.t.Helper()
	b := make([]byte, headerSize)
	hd.encode(b)
	_, err := h.nc.Write(b)
	require.NoError(h.t, err)
}

func (h *rawHost) recv() message {
	h.t.Helper()
	m, err := readMessage(h.br, make([]byte, headerSize), MaxPayload, func(n int) []byte { return make([]byte, n) })
	require.NoError(h.t, err)
	return m
}

// closed waits for the device to drop the connection.
func (h *rawHost) closed() {
	h.t.Helper()
	for {
		_, err := readMessage(h.br, make([]byte, headerSize), MaxPayload, func(n int) []byte { return make([]byte, n) })
		if err != nil {
			var ne net.Error
			require.False(h.t, errors.As(err, &ne) && ne.Timeout(), "the device kept the connection open")
			return
		}
	}
}

func (h *rawHost) connect(version uint32, maxdata uint32) message {
	h.t.Helper()
	h.send(cmdCNXN, version, maxdata, "host::features=shell_v2")
	m := h.recv()
	require.Equal(h.t, cmdCNXN, m.cmd)
	return m
}

func TestChecksumsFollowTheNegotiatedVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		version uint32
		summed  bool
	}{
		{name: "version 0x01000000 sums every payload", version: versionMin, summed: true},
		{name: "version 0x01000001 skips the checksum", version: versionSkipChecksum, summed: false},
		{name: "a newer host meets the device at its version", version: 0x01000002, summed: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := dialRaw(t, serve(t, newFakeDevice(), ServeOptions{}))
			cnxn := h.connect(tt.version, 8192)
			require.Equal(t, min(tt.version, versionMax), cnxn.arg0)
			require.Equal(t, uint32(8192), cnxn.arg1, "the device answers with the smaller maxdata")
			require.Contains(t, string(cnxn.payload), "ro.product.device=fake;features=shell_v2,stat_v2,ls_v2")

			h.send(cmdOPEN, 7, 0, "exec:echo checksum\x00")
			okay := h.recv()
			require.Equal(t, cmdOKAY, okay.cmd)
			require.Equal(t, uint32(7), okay.arg1)
			wrte := h.recv()
			require.Equal(t, cmdWRTE, wrte.cmd)
			require.Equal(t, "checksum\n", string(wrte.payload))
			if tt.summed {
				require.Equal(t, checksum(wrte.payload), wrte.check)
			} else {
				require.Zero(t, wrte.check)
			}
		})
	}
}

func TestProtocolViolationsCloseTheConnection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(h *rawHost)
	}{
		{name: "host maxdata below 4096", run: func(h *rawHost) {
			h.send(cmdCNXN, versionMax, 1024, "host::")
		}},
		{name: "unknown protocol version", run: func(h *rawHost) {
			h.send(cmdCNXN, 0x00ffffff, 4096, "host::")
		}},
		{name: "bad magic", run: func(h *rawHost) {
			h.connect(versionMax, MaxPayload)
			h.sendHeader(header{cmd: cmdOKAY, arg0: 1, arg1: 1, magic: 0})
		}},
		{name: "unknown command", run: func(h *rawHost) {
			h.connect(versionMax, MaxPayload)
			h.sendHeader(header{cmd: 0x41414141, magic: 0x41414141 ^ 0xffffffff})
		}},
		{name: "payload above the announced maxdata", run: func(h *rawHost) {
			h.connect(versionMax, MaxPayload)
			h.sendHeader(header{cmd: cmdWRTE, arg0: 1, arg1: 1, length: MaxPayload + 1, magic: cmdWRTE ^ 0xffffffff})
		}},
		{name: "wrong checksum at version 0x01000000", run: func(h *rawHost) {
			h.connect(versionMin, MaxPayload)
			h.send(cmdOPEN, 1, 0, "exec:sleep")
			okay := h.recv()
			h.sendHeader(header{cmd: cmdWRTE, arg0: 1, arg1: okay.arg0, length: 1, check: 99, magic: cmdWRTE ^ 0xffffffff})
			h.nc.Write([]byte{1})
		}},
		{name: "WRTE without waiting for OKAY", run: func(h *rawHost) {
			h.connect(versionMax, MaxPayload)
			h.send(cmdOPEN, 1, 0, "exec:sleep")
			okay := h.recv()
			for range 3 {
				h.send(cmdWRTE, 1, okay.arg0, "stdin nobody reads")
			}
		}},
		{name: "a second CNXN", run: func(h *rawHost) {
			h.connect(versionMax, MaxPayload)
			h.send(cmdCNXN, versionMax, MaxPayload, "host::")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dev := newFakeDevice()
			h := dialRaw(t, serve(t, dev, ServeOptions{}))
			tt.run(h)
			h.closed()
			require.Eventually(t, func() bool { return dev.shells.Load() == 0 }, 5*time.Second, 10*time.Millisecond,
				"commands of a dropped connection are stopped")
		})
	}
}

func TestToleratedMessages(t *testing.T) {
	t.Parallel()
	h := dialRaw(t, serve(t, newFakeDevice(), ServeOptions{}))
	// Anything before CNXN is ignored, as protocol.txt requires.
	h.send(cmdOPEN, 1, 0, "exec:echo early")
	h.send(cmdAUTH, authSignature, 0, "sig")
	h.connect(versionMax, MaxPayload)
	// Messages for streams that do not exist are ignored; an OKAY for one is answered with CLSE
	// so that the far end stops.
	h.send(cmdWRTE, 5, 99, "nobody")
	h.send(cmdCLSE, 5, 99, "")
	h.send(cmdOKAY, 5, 99, "")
	clse := h.recv()
	require.Equal(t, cmdCLSE, clse.cmd)
	require.Equal(t, [2]uint32{99, 5}, [2]uint32{clse.arg0, clse.arg1})
	// OPEN with a zero local id is ignored; a proper one still works.
	h.send(cmdOPEN, 0, 0, "exec:echo zero")
	h.send(cmdOPEN, 3, 0, "exec:echo fine")
	okay := h.recv()
	require.Equal(t, cmdOKAY, okay.cmd)
	require.Equal(t, uint32(3), okay.arg1)
	wrte := h.recv()
	require.Equal(t, "fine\n", string(wrte.payload))
	h.send(cmdOKAY, 3, okay.arg0, "")
	clse = h.recv()
	require.Equal(t, cmdCLSE, clse.cmd)
	require.Equal(t, [2]uint32{okay.arg0, 3}, [2]uint32{clse.arg0, clse.arg1})
}

func TestHandshakeTimeout(t *testing.T) {
	t.Parallel()
	h := dialRaw(t, serve(t, newFakeDevice(), ServeOptions{HandshakeTimeout: 50 * time.Millisecond}))
	h.closed()
}

func TestDeviceBoundsStreams(t *testing.T) {
	t.Parallel()
	dev, c := setup(t, ServeOptions{MaxStreams: 2}, DialOptions{MaxStreams: 10})
	ctx := testCtx(t)
	for range 2 {
		s, err := c.Open(ctx, "exec:sleep")
		require.NoError(t, err)
		defer s.Close()
	}
	_, err := c.Open(ctx, "exec:sleep")
	require.ErrorIs(t, err, ErrRefused)
	require.Eventually(t, func() bool { return dev.shells.Load() == 2 }, 5*time.Second, 10*time.Millisecond)
}

func TestClientRefusesDeviceOpen(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan *rawHost, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		accepted <- &rawHost{t: t, nc: nc, br: bufio.NewReader(nc)}
	}()
	connected := make(chan error, 1)
	go func() {
		c, err := Dial(testCtx(t), ln.Addr().String(), DialOptions{})
		if err == nil {
			defer c.Close()
			<-c.Done()
		}
		connected <- err
	}()
	d := <-accepted
	defer d.nc.Close()
	require.Equal(t, cmdCNXN, d.recv().cmd)
	d.send(cmdCNXN, versionMax, MaxPayload, "device::features=shell_v2")
	// A device may not open streams on the host: the control plane answers CLSE.
	d.send(cmdOPEN, 9, 0, "tcp:80")
	clse := d.recv()
	require.Equal(t, cmdCLSE, clse.cmd)
	require.Equal(t, uint32(9), clse.arg1)
	d.nc.Close()
	require.NoError(t, <-connected)
}

func TestReadMessageRejectsTruncation(t *testing.T) {
	t.Parallel()
	b := make([]byte, headerSize)
	(&header{cmd: cmdWRTE, length: 10, magic: cmdWRTE ^ 0xffffffff}).encode(b)
	r := io.MultiReader(bytes.NewReader(b), strings.NewReader("short"))
	_, err := readMessage(r, make([]byte, headerSize), MaxPayload, func(n int) []byte { return make([]byte, n) })
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}
