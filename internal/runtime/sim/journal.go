package sim

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// JournalFile is the operations journal's name under the data directory. It lives beside the
// phones' directories rather than inside them, because creating a phone clears its directory and
// removing one deletes it, and the journal must outlive both.
const JournalFile = "ops.jsonl"

// Journal events: an operation's first line and its last.
const (
	EventBegin = "begin"
	EventEnd   = "end"
)

// JournalEntry is one line of the journal. Config.Journal turns it on so that tests can prove
// what the control plane promises but cannot observe from outside: that no two operations ever
// ran on one phone at once, not even around a crash of the process driving them.
type JournalEntry struct {
	// Boot identifies the driver instance (one per New) that wrote the line.
	Boot string `json:"boot"`
	// Seq counts the lines of one boot from 1, in the order they were written; it orders a boot's
	// events exactly, whatever the clock does, and a gap shows a line that could not be written.
	Seq   uint64 `json:"seq"`
	Event string `json:"event"`
	Op    Op     `json:"op"`
	Phone string `json:"phone"`
	// Begin is, on an end line, the Seq of the operation's begin line.
	Begin uint64 `json:"begin,omitempty"`
	// Error is what the operation returned, on an end line.
	Error string    `json:"error,omitempty"`
	Time  time.Time `json:"time"`
}

// journal appends a line per operation event to <DataDir>/ops.jsonl. Each line is one write to a
// file opened for appending, so a process killed at any point leaves whole lines: an operation it
// was running when it died has a begin line and no end line.
type journal struct {
	path string
	boot string
	log  func(msg string, args ...any)

	mu  sync.Mutex
	seq uint64
}

// openJournal checks that the journal can be written, so a bad data directory fails at start.
func openJournal(dataDir string, log func(string, ...any)) (*journal, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	j := &journal{path: filepath.Join(dataDir, JournalFile), boot: hex.EncodeToString(b[:]), log: log}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return j, nil
}

// noEnd is the end of an operation when the journal is off; it allocates nothing.
func noEnd(*error) {}

// begin records that op starts on phone and returns what records its end with the operation's
// result; a nil journal (the default) records nothing. Use it as the first statement of an
// operation with a named error result: defer d.journal.begin(OpStart, id)(&err).
func (j *journal) begin(op Op, phone string) func(*error) {
	if j == nil {
		return noEnd
	}
	seq := j.write(JournalEntry{Event: EventBegin, Op: op, Phone: phone})
	return func(errp *error) {
		e := JournalEntry{Event: EventEnd, Op: op, Phone: phone, Begin: seq}
		if *errp != nil {
			e.Error = (*errp).Error()
		}
		j.write(e)
	}
}

// write appends e under the next sequence number. A line that cannot be written is logged and
// leaves a gap in the sequence, which ReadJournal reports, rather than failing the operation.
func (j *journal) write(e JournalEntry) uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Boot, e.Seq, e.Time = j.boot, j.seq, time.Now().UTC()
	b, err := json.Marshal(e)
	if err == nil {
		err = appendLine(j.path, append(b, '\n'))
	}
	if err != nil {
		j.log("sim: journal line lost", "seq", e.Seq, "op", e.Op, "phone", e.Phone, "err", err)
	}
	return e.Seq
}

func appendLine(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	return errors.Join(err, f.Close())
}

// JournalOp is one operation as the journal tells it.
type JournalOp struct {
	Boot  string
	Op    Op
	Phone string
	// Begin and End are the Seq of its lines; End is 0 if the operation never ended, because the
	// driver's process died during it.
	Begin, End       uint64
	BeganAt, EndedAt time.Time
	Error            string
}

// opKey names an operation by its boot and the Seq of its begin line.
type opKey struct {
	boot string
	seq  uint64
}

// ReadJournal reads the journal that drivers with Config.Journal wrote over dataDir, one
// JournalOp per begin line, in the order they began. A missing journal has no operations. It
// refuses a journal it cannot vouch for: a torn or unknown line, a gap in a boot's sequence, an
// end without its begin, or two boots whose lines interleave (two drivers on one data directory
// at once), since any of them could hide an overlap.
func ReadJournal(dataDir string) ([]JournalOp, error) {
	f, err := os.Open(filepath.Join(dataDir, JournalFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	var (
		ops     []JournalOp
		index   = map[opKey]int{} // an operation's begin line → its position in ops
		lastSeq = map[string]uint64{}
		current string
	)
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		var e JournalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("journal line %d: %w", line, err)
		}
		if e.Boot != current {
			if _, seen := lastSeq[e.Boot]; seen {
				return nil, fmt.Errorf("journal line %d: boot %s wrote again after boot %s began", line, e.Boot, current)
			}
			current = e.Boot
		}
		if e.Seq != lastSeq[e.Boot]+1 {
			return nil, fmt.Errorf("journal line %d: boot %s jumps from seq %d to %d", line, e.Boot, lastSeq[e.Boot], e.Seq)
		}
		lastSeq[e.Boot] = e.Seq
		switch e.Event {
		case EventBegin:
			index[opKey{e.Boot, e.Seq}] = len(ops)
			ops = append(ops, JournalOp{Boot: e.Boot, Op: e.Op, Phone: e.Phone, Begin: e.Seq, BeganAt: e.Time})
		case EventEnd:
			i, ok := index[opKey{e.Boot, e.Begin}]
			if !ok || ops[i].End != 0 || ops[i].Op != e.Op || ops[i].Phone != e.Phone {
				return nil, fmt.Errorf("journal line %d: end of %s %s has no begin at seq %d", line, e.Op, e.Phone, e.Begin)
			}
			ops[i].End, ops[i].EndedAt, ops[i].Error = e.Seq, e.Time, e.Error
		default:
			return nil, fmt.Errorf("journal line %d: unknown event %q", line, e.Event)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return ops, nil
}

// Overlapping returns every pair of operations on one phone that ran at the same time. Within a
// boot the sequence numbers order events exactly, and an operation that never ended lasts until
// the boot's end; boots follow one another (ReadJournal refuses interleaved ones), so operations
// of different boots cannot overlap.
func Overlapping(ops []JournalOp) [][2]JournalOp {
	type key struct{ boot, phone string }
	groups := map[key][]JournalOp{}
	var order []key
	for _, o := range ops {
		k := key{o.Boot, o.Phone}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], o)
	}
	var out [][2]JournalOp
	for _, k := range order {
		g := groups[k] // in begin order: each overlaps the later ones that begin before it ends
		for i, a := range g {
			for _, b := range g[i+1:] {
				if a.End == 0 || b.Begin < a.End {
					out = append(out, [2]JournalOp{a, b})
				}
			}
		}
	}
	return out
}
