package cph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opencph/opencph/internal/adb"
	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/store"
)

// errRunCommandFailed is a command that ran and exited non-zero. 5.7.5's example answers it
// with CPS.0191 and "Run command failed.", although section 8.2 files CPS.0191 under subnet_cidr;
// clients see the example's pair, which is what the service they were written against returns.
func errRunCommandFailed(exit int) *Error {
	return &Error{Code: CPS0191, Msg: "Run command failed.", Err: fmt.Errorf("exit status %d", exit)}
}

// shellResult is what a command left: its output, stdout and stderr interleaved as the phone
// sent them (a terminal's 2>&1) and cut at job.MaxExecuteMsg bytes, and its exit status (-1 when
// the phone's adbd predates shell protocol v2, which carries none).
type shellResult struct {
	out  string
	exit int
}

// phoneShell runs cmd on a phone through its adbd. Every failure is a coded error: the phone is
// no longer running (CPS.0141), ctx ran out (CPS.0054, "Handle job timeout."), adb failed
// (CPS.0260, the cause kept for the log and execute_msg). A command that exits non-zero is not an
// error here; the caller decides.
func (s *Service) phoneShell(ctx context.Context, phoneID, cmd string) (shellResult, error) {
	info, err := s.rt.Phone(ctx, phoneID)
	switch {
	case errors.Is(err, runtime.ErrNotFound):
		return shellResult{}, CPS0260.Wrap(fmt.Errorf("phone %s is not in the runtime: %w", phoneID, err))
	case err != nil:
		return shellResult{}, s.adbErr(ctx, err)
	case info.State != runtime.StateRunning:
		return shellResult{}, CPS0141.Err()
	case info.ADBAddr == "":
		return shellResult{}, CPS0260.Wrap(fmt.Errorf("phone %s has no adb endpoint", phoneID))
	}
	conn, err := s.adb.Get(ctx, info.ADBAddr)
	if err != nil {
		return shellResult{}, s.adbErr(ctx, err)
	}
	w := &headWriter{max: job.MaxExecuteMsg}
	exit, err := conn.ShellStream(ctx, cmd, nil, w, w)
	if errors.Is(err, adb.ErrNoShellV2) {
		var out []byte
		out, _, exit, err = conn.Shell(ctx, cmd)
		w.Write(out)
	}
	res := shellResult{out: w.String(), exit: exit}
	if err != nil {
		return res, s.adbErr(ctx, err)
	}
	return res, nil
}

// adbErr codes a failure to reach or talk to a phone: the deadline's CPS.0054, or CPS.0260.
func (s *Service) adbErr(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return CPS0054.Wrap(err)
	}
	return CPS0260.Wrap(err)
}

// commandOutcome is a command's result as a job's: success with the output as execute_msg, a
// non-zero exit as errRunCommandFailed with the output, or the error with the output so far —
// or, when there is none, what went wrong, so execute_msg never leaves the client guessing.
func commandOutcome(res shellResult, err error, timeout time.Duration) (execMsg string, _ error) {
	execMsg = res.out
	switch {
	case err == nil && res.exit > 0:
		return execMsg, errRunCommandFailed(res.exit)
	case err == nil:
		return execMsg, nil
	}
	if execMsg == "" {
		ce := AsError(err)
		switch {
		case ce.Code == CPS0054:
			execMsg = fmt.Sprintf("the command did not finish within %s", timeout)
		case ce.Err != nil:
			execMsg = ce.Err.Error()
		}
	}
	return execMsg, err
}

// runPhoneShell runs an asynchronous shell command (5.7.4). Like every job it may run again
// after its worker died mid-way, and a shell command cannot be made safe to repeat: a command
// whose worker dies runs twice, which is what a client retrying a lost call would get too.
func (s *Service) runPhoneShell(ctx context.Context, j *store.Job) job.Outcome {
	var p commandPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Outcome{Err: fmt.Errorf("payload: %w", err)}
	}
	res, err := s.runPhoneCommand(ctx, j, p.Content)
	msg, err := commandOutcome(res, err, s.limits().async)
	return job.Outcome{Err: err, ExecuteMsg: msg}
}

// runPhoneUninstall uninstalls a package (5.7.3) with pm, whose answer is the job's execute_msg
// ("Success", or "Failure [DELETE_FAILED_INTERNAL_ERROR]" for a package that is not installed,
// which fails the job with CPS.0260). Uninstalling twice fails the second time, as pm does.
func (s *Service) runPhoneUninstall(ctx context.Context, j *store.Job) job.Outcome {
	var p commandPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Outcome{Err: fmt.Errorf("payload: %w", err)}
	}
	res, err := s.runPhoneCommand(ctx, j, "pm uninstall "+p.Content)
	msg, err := commandOutcome(res, err, s.limits().async)
	var ce *Error
	if err == nil && !strings.Contains(res.out, "Success") || errors.As(err, &ce) && ce.Code == CPS0191 {
		err = CPS0260.Wrap(fmt.Errorf("pm uninstall %s: %s", p.Content, strings.TrimSpace(res.out)))
	}
	return job.Outcome{Err: err, ExecuteMsg: msg}
}

// runPhoneCommand checks that a job's phone still exists and runs, and runs cmd on it within the
// asynchronous commands' time bound.
func (s *Service) runPhoneCommand(ctx context.Context, j *store.Job, cmd string) (shellResult, error) {
	ph, err := s.st.PhoneGet(ctx, j.ProjectID, j.PhoneID)
	if err != nil {
		return shellResult{}, notFound(err, CPS0005)
	}
	if err := commandable(ph.Status); err != nil {
		return shellResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.limits().async)
	defer cancel()
	return s.phoneShell(ctx, ph.ID, cmd)
}

// headWriter keeps the first max bytes written to it, cut on a UTF-8 boundary, and discards the
// rest while still accepting it, so a command that prints gigabytes is drained without being
// held in memory.
type headWriter struct {
	max int
	b   []byte
}

func (w *headWriter) Write(p []byte) (int, error) {
	// A few bytes beyond max let String find the boundary of a sequence cut at max.
	if room := w.max + utf8.UTFMax - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (w *headWriter) String() string { return job.Truncate(string(w.b), w.max) }
