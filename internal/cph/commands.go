package cph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// The commands of POST phones/commands (5.7.1–5.7.4); sync-commands (5.7.5) takes shell only.
const (
	CommandPush            = "push"
	CommandInstall         = "install"
	CommandInstallMultiple = "install-multiple"
	CommandUninstall       = "uninstall"
	CommandShell           = "shell"
)

// Limits of the commands API. The reference bounds content (1024 bytes), sync-commands (15
// phones, 2 s per phone, 30 s per call, 6 calls per user per minute); it is silent on how many
// phones an asynchronous command may name, which takes MaxPhonesPerBatch like the other phone
// batches, and on how long one may run, which AsyncCommandTimeout bounds so that a command that
// never ends (logcat, top) cannot hold a worker forever.
const (
	MaxCommandContent   = 1024
	MaxSyncPhones       = 15
	SyncPhoneTimeout    = 2 * time.Second
	SyncCallTimeout     = 30 * time.Second
	SyncCallsPerMinute  = 6
	AsyncCommandTimeout = 10 * time.Minute
)

// Job kinds of the asynchronous commands.
const (
	kindPhoneShell     = "phone.shell"
	kindPhoneUninstall = "phone.uninstall"
)

// Commands neither change a phone's status nor exclude each other: several may run on one phone
// at once, as several adb shells can. They do count as running jobs of the phone, so an exclusive
// operation (restart, reset, stop) waits for them (CPS.0349), as the reference warns that adb
// commands block the phone's other tasks.
var (
	opPhoneShell     = phoneOp{kind: kindPhoneShell, check: commandable}
	opPhoneUninstall = phoneOp{kind: kindPhoneUninstall, check: commandable}
)

// commandLimits are the time and rate bounds of commands; a zero field takes its default, so tests
// can shorten one and leave the rest.
type commandLimits struct {
	syncPhone, syncCall, async time.Duration
	syncCalls                  int
	syncWindow                 time.Duration
}

func (s *Service) limits() commandLimits {
	l := s.cmd
	l.syncPhone = cmp.Or(l.syncPhone, SyncPhoneTimeout)
	l.syncCall = cmp.Or(l.syncCall, SyncCallTimeout)
	l.async = cmp.Or(l.async, AsyncCommandTimeout)
	l.syncCalls = cmp.Or(l.syncCalls, SyncCallsPerMinute)
	l.syncWindow = cmp.Or(l.syncWindow, time.Minute)
	return l
}

// commandPayload is an asynchronous command's job payload: the shell command line, or the
// package to uninstall.
type commandPayload struct {
	Content string `json:"content"`
}

// commandable admits a running phone only: a command needs the phone's adbd.
func commandable(status int) error {
	if status != store.PhoneRunning {
		return CPS0141.Err()
	}
	return nil
}

// RunCommand serves POST phones/commands: command chooses the operation (5.7.1–5.7.4), and each
// phone gets its job or its error entry. push, install and install-multiple fetch their content
// from object storage (obs://), which OpenCPH does not serve yet, so they are refused with
// CPS.0117 and a message saying so rather than accepted and failed in every job.
func (s *Service) RunCommand(ctx context.Context, projectID, requestID string, req *api.CommandRequestBody) ([]api.PhoneJob, error) {
	var op phoneOp
	switch req.Command {
	case CommandShell:
		op = opPhoneShell
	case CommandUninstall:
		op = opPhoneUninstall
	case CommandPush, CommandInstall, CommandInstallMultiple:
		return nil, CPS0117.Errf("%s fetches its content from object storage (obs://), which OpenCPH does not serve yet", req.Command)
	default:
		return nil, CPS0117.Errf("command %q: want one of %s, %s, %s, %s or %s", req.Command,
			CommandPush, CommandInstall, CommandInstallMultiple, CommandUninstall, CommandShell)
	}
	if err := ValidateCommandContent(req.Content); err != nil {
		return nil, err
	}
	if op.kind == kindPhoneUninstall {
		if err := ValidatePackageName(req.Content); err != nil {
			return nil, err
		}
	}
	targets, err := s.commandTargets(ctx, projectID, req, MaxPhonesPerBatch, CPS0209, 0)
	if err != nil {
		return nil, err
	}
	var phones []PhoneTarget
	for _, t := range targets {
		if t.refused == nil {
			phones = append(phones, PhoneTarget{PhoneID: t.phoneID, Payload: commandPayload{Content: req.Content}})
		}
	}
	jobs, err := s.submitPhoneJobs(ctx, projectID, requestID, op, phones)
	if err != nil {
		return nil, err
	}
	out := make([]api.PhoneJob, len(targets))
	next := 0
	for i, t := range targets {
		if t.refused != nil {
			out[i] = api.PhoneJob{ErrorCode: string(t.refused.Code), ErrorMsg: t.refused.Msg}
			continue
		}
		out[i] = jobs[next]
		next++
	}
	return out, nil
}

// ValidateCommandContent applies the rule 5.7 gives every content: at most MaxCommandContent
// bytes of letters, digits, "_", ".", "/", ":", "-" and spaces (the reference's own example, "ls -l
// /system", has spaces). Everything else is CPS.0118, which is what keeps a command line free of
// the shell's operators and quoting: ; | & > < $ ` ( ) ' " \ * and newlines never reach a phone.
func ValidateCommandContent(content string) error {
	if strings.TrimSpace(content) == "" {
		return CPS0118.Errf("content is empty")
	}
	if len(content) > MaxCommandContent {
		return CPS0118.Errf("content is %d bytes, at most %d", len(content), MaxCommandContent)
	}
	for i := range len(content) {
		if c := content[i]; !contentChar(c) {
			return CPS0118.Errf("%q at byte %d: only letters, digits, spaces and _ . / : - are allowed", c, i)
		}
	}
	return nil
}

func contentChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("_./:- ", c) >= 0
}

// ValidatePackageName checks an uninstall's content (5.7.3) as a package name, by the rule the
// reference gives them for shared apps (5.1.11): letters, digits, "_" and ".", not starting
// with a digit or "_", not ending with ".", and at least one "."; an empty segment ("a..b") names
// no package either. Content that passes ValidateCommandContent but is not such a name — a path,
// several names, an option — is CPS.0173.
func ValidatePackageName(name string) error {
	if !strings.Contains(name, ".") || strings.HasSuffix(name, ".") {
		return CPS0173.Errf("%q is not a package name", name)
	}
	for _, seg := range strings.Split(name, ".") {
		if seg == "" {
			return CPS0173.Errf("%q is not a package name", name)
		}
		for i := range len(seg) {
			c := seg[i]
			letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
			digit := '0' <= c && c <= '9'
			if !letter && !digit && c != '_' {
				return CPS0173.Errf("%q is not a package name", name)
			}
		}
	}
	if c := name[0]; c == '_' || '0' <= c && c <= '9' {
		return CPS0173.Errf("%q is not a package name", name)
	}
	return nil
}

// commandTarget is one entry of a commands call's answer, in request order: a phone to run on,
// or a server_ids entry refused before it named any phone (an entry with no phone_id).
type commandTarget struct {
	phoneID string
	refused *Error
}

// commandTargets resolves the phones a command runs on: phone_ids when the request has any (an
// empty list counts as absent), otherwise every phone of server_ids, each server's phones in
// their order on the server. More than maxIDs phone_ids is tooManyIDs; more than maxExpanded
// phones from server_ids (0: no bound) is CPS.0190. A malformed (CPS.0097) or unknown (CPS.0015)
// server is its own error entry and the other servers proceed; neither list is CPS.0009.
func (s *Service) commandTargets(ctx context.Context, projectID string, req *api.CommandRequestBody, maxIDs int, tooManyIDs Code, maxExpanded int) ([]commandTarget, error) {
	if len(req.PhoneIDs) > 0 {
		if err := checkBatchSize(len(req.PhoneIDs), maxIDs, CPS0009, tooManyIDs); err != nil {
			return nil, err
		}
		out := make([]commandTarget, len(req.PhoneIDs))
		for i, id := range req.PhoneIDs {
			out[i] = commandTarget{phoneID: id}
		}
		return out, nil
	}
	if len(req.ServerIDs) == 0 {
		return nil, CPS0009.Errf("give phone_ids or server_ids")
	}
	if len(req.ServerIDs) > MaxServersPerBatch {
		return nil, CPS0096.Errf("at most %d servers", MaxServersPerBatch)
	}
	var out []commandTarget
	phones := 0
	for _, sid := range req.ServerIDs {
		if !isHexID(sid) {
			out = append(out, commandTarget{refused: CPS0097.Errf("%s", sid)})
			continue
		}
		_, err := s.st.ServerGet(ctx, projectID, sid)
		if errors.Is(err, store.ErrNotFound) {
			out = append(out, commandTarget{refused: CPS0015.Errf("%s", sid)})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("server %s: %w", sid, err)
		}
		list, _, err := s.st.PhoneList(ctx, &store.PhoneListParams{ProjectID: projectID, ServerID: sid})
		if err != nil {
			return nil, fmt.Errorf("phones of server %s: %w", sid, err)
		}
		slices.SortFunc(list, func(a, b store.Phone) int { return cmp.Compare(a.Index, b.Index) })
		for _, ph := range list {
			out = append(out, commandTarget{phoneID: ph.ID})
		}
		phones += len(list)
	}
	if maxExpanded > 0 && phones > maxExpanded {
		return nil, CPS0190.Errf("server_ids hold %d phones, at most %d", phones, maxExpanded)
	}
	return out, nil
}
