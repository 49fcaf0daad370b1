package events

import (
	"fmt"
	"strings"
	"time"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/views/plantext"
)

// verbs are the words of the text progress lines, per action.
type verbs struct{ ing, noun string }

func actionVerbs(a plans.Action) verbs {
	switch a {
	case plans.Create, plans.DeleteThenCreate, plans.CreateThenDelete:
		return verbs{"Creating", "Creation"}
	case plans.Update:
		return verbs{"Modifying", "Modifications"}
	case plans.Delete:
		return verbs{"Destroying", "Destruction"}
	case plans.Read:
		return verbs{"Reading", "Read"}
	}
	return verbs{"Applying", "Apply"}
}

// lower returns the verb for "Still creating...".
func (v verbs) lower() string {
	if v.ing == "" {
		return ""
	}
	return string(v.ing[0]+'a'-'A') + v.ing[1:]
}

// formatElapsed rounds as Terraform does: whole seconds, "0s" for less.
func formatElapsed(d time.Duration) string {
	return d.Truncate(time.Second).String()
}

// counterMin is the number of changes above which the completion lines of
// an apply are numbered: "[12/40] app.web: Creation complete after 2s".
// A short apply fits on a screen and needs no count.
const counterMin = 20

// counter is the "[n/N] " that starts the completion line of the n-th of
// N changes, or "" (apply of at most counterMin changes, other events).
func counter(ev core.Event) string {
	if ev.Done == 0 || ev.Total <= counterMin {
		return ""
	}
	return fmt.Sprintf("[%d/%d] ", ev.Done, ev.Total)
}

// plural returns "1 object", "2 objects".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// textEvent is the text line of one event; "" for events not shown.
func textEvent(ev core.Event) string {
	addr := ev.Addr.String()
	v := actionVerbs(ev.Action)
	switch ev.Type {
	case core.EventRefreshStart:
		// One line per provider, not Terraform's one per object: a plan
		// of 10,000 objects would otherwise open with a wall of lines.
		return fmt.Sprintf("Refreshing %s of provider %s...", plural(ev.Objects, "object"), ev.Provider)
	case core.EventApplyStart:
		return fmt.Sprintf("%s: %s...", addr, v.ing)
	case core.EventApplyProgress:
		return fmt.Sprintf("%s: Still %s... [%s elapsed]", addr, v.lower(), formatElapsed(ev.Elapsed))
	case core.EventApplyComplete:
		s := fmt.Sprintf("%s%s: %s complete after %s", counter(ev), addr, v.noun, formatElapsed(ev.Elapsed))
		if ev.ID != "" {
			s += fmt.Sprintf(" [id=%s]", ev.ID)
		}
		return s
	case core.EventApplyErrored:
		return fmt.Sprintf("%s: %s errored after %s", addr, v.noun, formatElapsed(ev.Elapsed))
	case core.EventWaveStart:
		s := fmt.Sprintf("%s: wave %d/%d started", addr, ev.Wave, ev.Waves)
		if ev.Message != "" {
			s += " (" + ev.Message
			if members := plantext.WaveMembers(ev.WaveInstances); members != "" {
				s += ": " + members
			}
			s += ")"
		}
		return s
	case core.EventWaveComplete:
		return fmt.Sprintf("%s: wave %d/%d complete", addr, ev.Wave, ev.Waves)
	case core.EventRevert:
		return fmt.Sprintf("%s: reverting: %s", addr, ev.Message)
	case core.EventCanary:
		return fmt.Sprintf("%s: canary: %s", addr, ev.Message)
	case core.EventStateWriteFailed:
		return fmt.Sprintf("\nError: the state could not be written: %s\nStopping: nothing new starts; the calls in flight finish.\n", ev.Message)
	case core.EventProvider:
		msg := ev.Message
		if msg == "" {
			msg = ev.Kind
		}
		if ev.Instance != "" && !strings.HasPrefix(msg, ev.Instance) {
			msg = ev.Instance + ": " + msg
		}
		return fmt.Sprintf("%s: %s", addr, msg)
	}
	// The end of a refresh is not shown: the plan that follows says it.
	return ""
}
