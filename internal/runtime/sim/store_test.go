package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/runtime/sim"
)

func TestLoadSkipsIncompletePhones(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	phones := filepath.Join(cfg.DataDir, "phones")
	// A creation cut short before its state file, and a state file cut short mid-write.
	require.NoError(t, os.MkdirAll(filepath.Join(phones, "nostate", "data"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(phones, "nostate", "data", "leftover"), []byte("x"), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(phones, "torn"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(phones, "torn", "state.json"), []byte(`{"vers`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(phones, "README"), []byte("not a phone"), 0o600))

	d := newDriver(t, cfg)
	for _, id := range []string{"nostate", "torn"} {
		_, err := d.Phone(t.Context(), id)
		require.ErrorIs(t, err, runtime.ErrNotFound, id)
	}

	// Creating the phone again clears what the interrupted one left.
	_, err := d.CreatePhone(t.Context(), phoneSpec("nostate", hostsOf(t, d)[0], 0, 20001))
	require.NoError(t, err)
	_, err = d.ReadDataFile(t.Context(), "nostate", "leftover")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestLoadRefusesForeignState(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	dir := filepath.Join(cfg.DataDir, "phones", "p")
	require.NoError(t, os.MkdirAll(dir, 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"version":99,"id":"p"}`), 0o600))
	_, err := sim.New(cfg)
	require.ErrorContains(t, err, "version 99")
}

func TestRemoveDuringBoot(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	d := newDriver(t, cfg)
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	create(t, d, spec)
	d.SetFault(sim.OpRestart, sim.Fault{Hang: true})

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.RestartPhone(ctx, spec) }()
	require.NoError(t, d.RemovePhone(t.Context(), spec.ID))
	cancel()
	// Whether the restart was still at its entry or already hanging, it must not bring the
	// removed phone back.
	require.Error(t, <-done)
	_, err := d.Phone(t.Context(), spec.ID)
	require.ErrorIs(t, err, runtime.ErrNotFound)
	_, err = os.Stat(filepath.Join(cfg.DataDir, "phones", spec.ID))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestRestartSpecNeedsADB(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	create(t, d, spec)

	noADB := spec
	noADB.Ports = map[int]int{8080: 20002}
	require.ErrorContains(t, d.RestartPhone(t.Context(), noADB), "adb")
	require.ErrorContains(t, d.ResetPhone(t.Context(), noADB), "adb")

	// A spec without ports keeps the phone's; one with new ports moves adb.
	noPorts := spec
	noPorts.Ports = nil
	require.NoError(t, d.RestartPhone(t.Context(), noPorts))
	info, err := d.Phone(t.Context(), spec.ID)
	require.NoError(t, err)
	require.Equal(t, hostsOf(t, d)[0].ServerIP+":20001", info.ADBAddr)

	moved := spec
	moved.Ports = map[int]int{5555: 20009}
	require.NoError(t, d.ResetPhone(t.Context(), moved))
	info, err = d.Phone(t.Context(), spec.ID)
	require.NoError(t, err)
	require.Equal(t, hostsOf(t, d)[0].ServerIP+":20009", info.ADBAddr)
}

func TestSpecIsCopied(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	create(t, d, spec)
	spec.Ports[5555] = 30000 // the caller reuses its map
	info, err := d.Phone(t.Context(), spec.ID)
	require.NoError(t, err)
	require.Equal(t, hostsOf(t, d)[0].ServerIP+":20001", info.ADBAddr)
}
