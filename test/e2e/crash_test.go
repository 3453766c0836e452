package e2e

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/runtime/sim"
)

// The crash proof of the job engine, as issue 3 states it: start `cph serve`, buy a server,
// batch-restart all its phones, kill -9 the process at once, start it again on the same data
// directory: every job of that request ends with 2 or -1, no phone is left in a transitional
// status, no job ran twice at the same time.
//
// "Ran twice at the same time" is invisible through the API, so the simulated runtime keeps a
// journal (sim.Config.Journal, <data-dir>/sim/ops.jsonl): one line when an operation on a phone
// begins and one when it ends, numbered per process. A job runs its phone's operation through
// the runtime, so two runs of one job at once would be two overlapping operations on one phone;
// sim.Overlapping finds them (internal/runtime/sim/journal_test.go shows it does). Operations of
// the killed process that never ended count as running until it died, and the second process
// starts after it died, so only operations of one process can overlap.
//
// Every restart takes 3 s (a delay fault) against a lease of 2 s, in both processes: the killed
// process is sure to die mid-operation, and the second one only keeps its jobs by extending
// their leases, which is where a job would be run twice if the engine let a lease lapse.
func TestCrashDuringBatchRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "cph.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(
		"jobs:\n  lease: 2s\n  per_server: 8\nsim:\n  journal: true\n  faults:\n    - op: restart\n      delay: 3s\n"), 0o600))
	journal := filepath.Join(data, "sim")

	first := start(t, data, "--config", cfg)
	ids := boughtPhones(t, first.sdk(), "crash")
	resp, err := first.sdk().RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{Phones: sdkPhones(ids...)}})
	require.NoError(t, err)
	rid := allAccepted(t, resp.RequestId, resp.Jobs, len(ids))
	// Kill as soon as the first wave of restarts (per_server of them) is under way, so that the
	// crash cuts every one of them short. The journal is read while the process writes it, so a
	// torn last line only means "not yet".
	require.Eventually(t, func() bool {
		ops, err := sim.ReadJournal(journal)
		return err == nil && len(only(ops, sim.OpRestart)) >= 8
	}, 30*time.Second, time.Millisecond)
	first.stop(syscall.SIGKILL)
	ops, err := sim.ReadJournal(journal)
	require.NoError(t, err)
	cut := only(ops, sim.OpRestart)
	short := 0
	for _, o := range cut {
		if o.End == 0 {
			short++
		}
	}
	require.Positive(t, short, "the kill cut a restart short")

	again := start(t, data, "--config", cfg)
	c := again.sdk()
	for _, j := range waitJobs(t, c, rid, len(ids)) {
		require.Contains(t, []int32{2, -1}, *j.Status, "job %s of phone %s", *j.JobId, *j.PhoneId)
		require.Equal(t, int32(2), *j.Status, "nothing fails here: phone %s: %v %v", *j.PhoneId, j.ErrorCode, j.ExecuteMsg)
	}
	list, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: phoneDetail(t, c, ids[0]).ServerId})
	require.NoError(t, err)
	require.Len(t, *list.Phones, len(ids))
	for _, p := range *list.Phones {
		require.Equal(t, int32(2), *p.Status, "phone %s", *p.PhoneId)
	}

	again.stop(syscall.SIGTERM) // the journal is complete once its writer has exited
	ops, err = sim.ReadJournal(journal)
	require.NoError(t, err)
	for _, pair := range sim.Overlapping(ops) {
		a, b := pair[0], pair[1]
		t.Errorf("phone %s: %s (seq %d-%d) and %s (seq %d-%d) ran at the same time in boot %s",
			a.Phone, a.Op, a.Begin, a.End, b.Op, b.Begin, b.End, a.Boot)
	}
	// Each phone was restarted to the end by the second process, including those whose restart
	// the crash cut short: the job was run again, not skipped.
	done := map[string]bool{}
	for _, o := range only(ops, sim.OpRestart) {
		if o.Boot != cut[0].Boot && o.End != 0 && o.Error == "" {
			require.False(t, done[o.Phone], "phone %s restarted twice after the crash", o.Phone)
			done[o.Phone] = true
		}
	}
	require.Len(t, done, len(ids))
	t.Logf("journal: %d operations; the kill cut %d of %d begun restarts short; %d restarts after the crash",
		len(ops), short, len(cut), len(only(ops, sim.OpRestart))-len(cut))
}

// only keeps the operations of one kind.
func only(ops []sim.JournalOp, op sim.Op) []sim.JournalOp {
	var out []sim.JournalOp
	for _, o := range ops {
		if o.Op == op {
			out = append(out, o)
		}
	}
	return out
}
