package sim

import (
	"context"
	"io"
	"testing"
)

// BenchmarkNew measures a first boot: laying out the tree and writing /system.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		d, err := New(b.TempDir(), Config{})
		if err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
}

// BenchmarkShellEcho measures the shell's own cost for the smallest command.
func BenchmarkShellEcho(b *testing.B) {
	d, err := New(b.TempDir(), Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for b.Loop() {
		if _, err := d.Shell(context.Background(), "echo hello", nil, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
