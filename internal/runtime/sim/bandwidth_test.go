package sim_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/runtime"
)

func TestSetBandwidth(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	d := newDriver(t, cfg)
	var setter runtime.Driver = d
	bs, ok := setter.(runtime.BandwidthSetter)
	require.True(t, ok, "the sim driver offers the optional bandwidth interface")
	hosts := hostsOf(t, d)

	got, err := d.HostBandwidth(hosts[0].ID)
	require.NoError(t, err)
	require.Zero(t, got, "no cap before one is set")

	require.NoError(t, bs.SetBandwidth(t.Context(), hosts[0].ID, 350))
	require.NoError(t, bs.SetBandwidth(t.Context(), hosts[0].ID, 350), "setting the same cap again succeeds")
	got, err = d.HostBandwidth(hosts[0].ID)
	require.NoError(t, err)
	require.Equal(t, 350, got)
	got, err = d.HostBandwidth(hosts[1].ID)
	require.NoError(t, err)
	require.Zero(t, got, "other hosts keep theirs")

	require.NoError(t, d.Close())
	again := newDriver(t, cfg)
	got, err = again.HostBandwidth(hosts[0].ID)
	require.NoError(t, err)
	require.Equal(t, 350, got, "the cap outlives the driver, as a host's shaping would")
}

func TestSetBandwidthRefuses(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	host := hostsOf(t, d)[0].ID
	for name, tc := range map[string]struct {
		ctx   func() context.Context
		host  string
		mbits int
	}{
		"UnknownHost": {ctx: context.Background, host: "00000000000000000000000000000000", mbits: 10},
		"ZeroSize":    {ctx: context.Background, host: host, mbits: 0},
		"Cancelled": {ctx: func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, host: host, mbits: 10},
	} {
		t.Run(name, func(t *testing.T) {
			require.Error(t, d.SetBandwidth(tc.ctx(), tc.host, tc.mbits))
		})
	}
	_, err := d.HostBandwidth("nope")
	require.ErrorIs(t, err, runtime.ErrNotFound)
	got, err := d.HostBandwidth(host)
	require.NoError(t, err)
	require.Zero(t, got, "a refused call records nothing")
}
