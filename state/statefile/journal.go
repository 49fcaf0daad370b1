package statefile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// The intent journal is JSON lines, one intent per line, appended as the
// core records intents (state.Intent). A line is complete once its
// newline is written: a kill during an append leaves at most one torn
// line at the end, and that intent's operation never started (the core
// calls the provider only after the append is synced), so DecodeJournal
// ignores it.

// journalLine is one intent as written.
type journalLine struct {
	Key         string          `json:"key"`
	Action      string          `json:"action"`
	Address     string          `json:"address"`
	Deposed     string          `json:"deposed,omitempty"`
	Provider    string          `json:"provider"`
	Type        string          `json:"type"`
	Planned     json.RawMessage `json:"planned,omitempty"`
	PlannedType json.RawMessage `json:"planned_type,omitempty"`
	Time        time.Time       `json:"time"`
}

// EncodeIntent returns the journal line of in, newline included. Marks on
// the planned value (sensitive) are dropped: the journal, like the state,
// holds values in clear.
func EncodeIntent(in state.Intent) ([]byte, error) {
	l := journalLine{Key: in.Key, Action: string(in.Action), Address: in.Addr.String(), Deposed: in.Deposed,
		Provider: in.Provider, Type: in.TypeName, Time: in.Time.UTC()}
	if in.Planned != cty.NilVal {
		v, _ := in.Planned.UnmarkDeep()
		var err error
		if l.Planned, err = ctyjson.Marshal(v, v.Type()); err != nil {
			return nil, fmt.Errorf("intent %s: planned state: %w", in.Key, err)
		}
		if l.PlannedType, err = ctyjson.MarshalType(v.Type()); err != nil {
			return nil, fmt.Errorf("intent %s: planned type: %w", in.Key, err)
		}
	}
	b, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// DecodeJournal returns the intents of a journal, in the order written. A
// last line without its newline (torn by a kill) is ignored; any other
// line that cannot be read is an error naming it.
func DecodeJournal(data []byte) ([]state.Intent, error) {
	var out []state.Intent
	for n := 1; len(data) > 0; n++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break // torn: its operation never started
		}
		line := bytes.TrimSpace(data[:i])
		data = data[i+1:]
		if len(line) == 0 {
			continue
		}
		in, err := decodeIntent(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, in)
	}
	return out, nil
}

func decodeIntent(line []byte) (state.Intent, error) {
	var l journalLine
	if err := json.Unmarshal(line, &l); err != nil {
		return state.Intent{}, err
	}
	in := state.Intent{Key: l.Key, Action: state.IntentAction(l.Action), Deposed: l.Deposed,
		Provider: l.Provider, TypeName: l.Type, Time: l.Time}
	if in.Key == "" {
		return in, fmt.Errorf("an intent without a key")
	}
	switch in.Action {
	case state.IntentCreate, state.IntentDelete:
	default:
		return in, fmt.Errorf("intent %s: unknown action %q", in.Key, l.Action)
	}
	addr, err := addrs.ParseInstance(l.Address)
	if err != nil {
		return in, fmt.Errorf("intent %s: %w", in.Key, err)
	}
	in.Addr = addr
	if len(l.PlannedType) > 0 {
		ty, err := ctyjson.UnmarshalType(l.PlannedType)
		if err != nil {
			return in, fmt.Errorf("intent %s: planned type: %w", in.Key, err)
		}
		if in.Planned, err = ctyjson.Unmarshal(l.Planned, ty); err != nil {
			return in, fmt.Errorf("intent %s: planned state: %w", in.Key, err)
		}
	}
	return in, nil
}
