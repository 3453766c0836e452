package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/runtime/sim"
)

// journalDriver is a driver with the journal on, and its data directory.
func journalDriver(t *testing.T) (*sim.Driver, string) {
	t.Helper()
	cfg := newConfig(t)
	cfg.Journal = true
	return newDriver(t, cfg), cfg.DataDir
}

// Every phone-changing operation leaves a begin and an end, with its error, in call order.
func TestJournalRecordsEveryOperation(t *testing.T) {
	t.Parallel()
	d, dir := journalDriver(t)
	for i, c := range opCases {
		spec := phoneSpec("p"+string(c.op), hostsOf(t, d)[0], i, 20001+i)
		c.prepare(t, d, spec)
		require.NoError(t, c.call(t.Context(), d, spec))
	}
	d.SetFault(sim.OpRestart, sim.Fault{Err: sim.ErrInjected, Times: 1})
	require.Error(t, d.RestartPhone(t.Context(), phoneSpec("pcreate", hostsOf(t, d)[0], 0, 20001)))

	ops, err := sim.ReadJournal(dir)
	require.NoError(t, err)
	var got []string
	for _, o := range ops {
		require.NotZero(t, o.End, "%s %s ended", o.Op, o.Phone)
		require.Greater(t, o.End, o.Begin)
		require.False(t, o.EndedAt.Before(o.BeganAt))
		require.Equal(t, ops[0].Boot, o.Boot)
		got = append(got, string(o.Op)+" "+o.Phone)
	}
	require.Equal(t, []string{
		"create pcreate",
		"create pstart", "stop pstart", "start pstart",
		"create pstop", "stop pstop",
		"create prestart", "restart prestart",
		"create preset", "reset preset",
		"create premove", "remove premove",
		"restart pcreate",
	}, got)
	require.Contains(t, ops[len(ops)-1].Error, "injected fault")
	require.Empty(t, ops[0].Error)
	require.Empty(t, sim.Overlapping(ops))
}

// An operation that starts while another runs on the same phone shows as an overlap; the
// driver allows it (the control plane is the one that must not), which is what lets this test
// prove that the check can fail.
func TestJournalSeesOverlap(t *testing.T) {
	t.Parallel()
	d, dir := journalDriver(t)
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	create(t, d, spec)
	d.SetFault(sim.OpRestart, sim.Fault{Hang: true, PhoneID: "p"})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.RestartPhone(ctx, spec) }()
	require.Eventually(t, func() bool {
		ops, err := sim.ReadJournal(dir)
		require.NoError(t, err)
		return len(ops) == 2 && ops[1].Op == sim.OpRestart
	}, 10*time.Second, time.Millisecond)
	require.NoError(t, d.StopPhone(t.Context(), "p"))
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	ops, err := sim.ReadJournal(dir)
	require.NoError(t, err)
	pairs := sim.Overlapping(ops)
	require.Len(t, pairs, 1)
	require.Equal(t, sim.OpRestart, pairs[0][0].Op)
	require.Equal(t, sim.OpStop, pairs[0][1].Op)
	require.Contains(t, pairs[0][0].Error, "context canceled")
	requireState(t, d, "p", runtime.StateFailed)
}

func TestJournalOffByDefault(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	d := newDriver(t, cfg)
	create(t, d, phoneSpec("p", hostsOf(t, d)[0], 0, 20001))
	_, err := os.Stat(filepath.Join(cfg.DataDir, sim.JournalFile))
	require.ErrorIs(t, err, os.ErrNotExist)
	ops, err := sim.ReadJournal(cfg.DataDir)
	require.NoError(t, err)
	require.Empty(t, ops)

	parsed, err := sim.ParseConfig(map[string]any{"data_dir": cfg.DataDir, "journal": true})
	require.NoError(t, err)
	require.True(t, parsed.Journal)
}

// ReadJournal reads what a crash leaves (an operation without an end, then a new boot), and
// refuses every journal that could hide an overlap.
func TestReadJournal(t *testing.T) {
	t.Parallel()
	const (
		a1 = `{"boot":"a","seq":1,"event":"begin","op":"restart","phone":"p","time":"2026-01-01T00:00:00Z"}`
		a2 = `{"boot":"a","seq":2,"event":"begin","op":"restart","phone":"q","time":"2026-01-01T00:00:01Z"}`
		a3 = `{"boot":"a","seq":3,"event":"end","op":"restart","phone":"q","begin":2,"time":"2026-01-01T00:00:02Z"}`
		b1 = `{"boot":"b","seq":1,"event":"begin","op":"restart","phone":"p","time":"2026-01-01T00:01:00Z"}`
		b2 = `{"boot":"b","seq":2,"event":"end","op":"restart","phone":"p","begin":1,"time":"2026-01-01T00:01:01Z"}`
		a4 = `{"boot":"a","seq":4,"event":"end","op":"restart","phone":"p","begin":1,"time":"2026-01-01T00:01:02Z"}`
	)
	tests := []struct {
		name  string
		lines []string
		err   string
	}{
		{name: "crash then a new boot", lines: []string{a1, a2, a3, b1, b2}},
		{name: "torn line", lines: []string{a1, a2[:40]}, err: "line 2"},
		{name: "gap in a boot", lines: []string{a1, a3}, err: "jumps from seq 1 to 3"},
		{name: "end without begin", lines: []string{strings.Replace(b2, `"seq":2`, `"seq":1`, 1)}, err: "has no begin"},
		{name: "boots interleave", lines: []string{a1, a2, a3, b1, b2, a4}, err: "wrote again"},
		{name: "unknown event", lines: []string{strings.Replace(a1, `"begin"`, `"start"`, 1)}, err: "unknown event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			body := strings.Join(tt.lines, "\n") + "\n"
			require.NoError(t, os.WriteFile(filepath.Join(dir, sim.JournalFile), []byte(body), 0o600))
			ops, err := sim.ReadJournal(dir)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Len(t, ops, 3)
			require.Zero(t, ops[0].End, "boot a died during the restart of p")
			require.Equal(t, uint64(3), ops[1].End)
			require.Equal(t, "b", ops[2].Boot)
			require.Empty(t, sim.Overlapping(ops), "an operation cut short by a crash ends with its boot")
		})
	}
}
