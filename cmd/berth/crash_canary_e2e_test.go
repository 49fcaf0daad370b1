//go:build crash && integration

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/berth-sh/berth/platform/app"
)

var crashCanary = flag.Int("crash.canary", 3, "trials killing berth during the canary apply, rollout promote and rollout abort of an app behind a load balancer")

// canaryCommand is a command of a canary rollout that a trial kills.
type canaryCommand int

const (
	canaryStart   canaryCommand = iota // berth apply, which pauses at the canary
	canaryPromote                      // berth rollout promote
	canaryAbort                        // berth rollout abort
)

func (c canaryCommand) String() string {
	return [...]string{"canary apply", "rollout promote", "rollout abort"}[c]
}

// TestCrashLoadBalancerCanary kills berth with its providers (SIGKILL of
// its process group) at a random moment of the canary apply, the rollout
// promote or the rollout abort (in turn, one a trial) of the app of
// TestE2ELoadBalancerCanary; the same command run again must leave the
// rollout where that command leaves it (paused at the canary at 90/10,
// or settled on the canary's spec, or on the stable one), every target
// group and container recorded, one canary group and one canary instance
// at most, and in each group exactly the instances that belong there.
func TestCrashLoadBalancerCanary(t *testing.T) {
	if *crashCanary <= 0 {
		t.Skip("no trials asked for")
	}
	l := newLBTestWith(t, "crashcan", lbCanaryApp)
	ctx := context.Background()
	c := l.elbv2Client(t)
	args := func(cmd canaryCommand, tag string) []string {
		vars := []string{"-auto-approve", "-var=tag=" + tag, l.pw, l.ep}
		switch cmd {
		case canaryPromote:
			return append(append([]string{"rollout", "promote"}, vars...), "app."+l.app)
		case canaryAbort:
			return append(append([]string{"rollout", "abort"}, vars...), "app."+l.app)
		}
		return append([]string{"apply"}, vars...)
	}
	other := map[string]string{"v1": "v2", "v2": "v1"}

	// The kill windows, from a command's first change to its end: the
	// shortest run of each so far, first of a canary promoted and of one
	// aborted; shortened when a run ends before its kill.
	windows := map[canaryCommand]time.Duration{}
	timed := func(cmd canaryCommand, tag string) {
		d := commandTime(l.e, args(cmd, tag)...)
		if w, ok := windows[cmd]; !ok || d < w {
			windows[cmd] = d
		}
	}
	l.e.ok(args(canaryStart, "v1")...)
	timed(canaryStart, "v2")
	timed(canaryPromote, "v2")
	timed(canaryStart, "v1")
	timed(canaryAbort, "v1")
	stable, paused := "v2", false
	t.Logf("a canary apply takes %s, a promote %s, an abort %s", windows[canaryStart], windows[canaryPromote], windows[canaryAbort])

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 17))
	var kills, done int
	var total lbFigures
	for i := range *crashCanary {
		cmd := canaryCommand(i % 3)
		tag := other[stable] // the canary's
		if cmd != canaryStart && !paused {
			timed(canaryStart, tag) // a canary to promote or abort
		}
		b := l.e.start(args(cmd, tag)...)
		waitModifying(b)
		time.Sleep(time.Duration(rng.Int64N(int64(windows[cmd]))))
		if killGroup(t, b) {
			kills++
		} else {
			windows[cmd] = max(windows[cmd]*2/3, 100*time.Millisecond)
		}

		killed := l.e.run("rollout", "status", "app."+l.app).stdout
		// The same command again finishes it; a promote or an abort
		// killed once it had retired the canary finished its part, and
		// again finds no canary (the checks below say it left none).
		switch r := l.e.run(args(cmd, tag)...); {
		case r.code == 0:
		case cmd != canaryStart && strings.Contains(r.stderr, "No canary in progress"):
			done++
		default:
			t.Errorf("trial %d: %s run again after the kill: %s", i, cmd, r)
		}
		want := canaryWant{stable: stable}
		switch cmd {
		case canaryStart:
			want.canary, paused = tag, true
		case canaryPromote:
			stable, paused = tag, false
			want.stable = tag
		case canaryAbort:
			paused = false
		}
		f, wrong := l.checkCanary(t, ctx, c, want)
		total.add(f)
		if !f.zero() || len(wrong) > 0 {
			t.Errorf("trial %d (%s): %s after the same command again; %s\nafter the kill:\n%s", i, cmd, f, strings.Join(wrong, "; "), killed)
		}
	}
	t.Logf("SIGKILL of berth during a canary rollout behind a load balancer: %d trials, %d kills landed (%d after the command's part was done); after the same command again: %s",
		*crashCanary, kills, done, total)
	if kills < *crashCanary*3/4 {
		t.Errorf("only %d of %d trials killed berth during its command", kills, *crashCanary)
	}
}

// killGroup SIGKILLs b's process group, berth and its provider plugins at
// once (as a cancelled CI job is killed), and reports whether that ended
// b: false when b had exited by itself, which must be a success.
func killGroup(t *testing.T, b *background) bool {
	t.Helper()
	_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
	code := b.wait()
	if ws, ok := b.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return true
	}
	if code != 0 {
		t.Errorf("berth %v failed before its kill: exit %d\n%s\n%s", b.cmd.Args[1:], code, &b.out, &b.errb)
	}
	return false
}

// canaryWant is where a command leaves the rollout: instances of tag
// stable, and paused at a canary of tag canary ("": settled).
type canaryWant struct {
	stable, canary string
}

// checkCanary compares the emulator, the Docker hosts and the instances
// with the state and with want: checkGroups with the stable instances in
// the target's group and the canary's in its canary group, and the
// containers, counted; and it lists what else is not as want says: the
// rollout's phase, the listener's weights as recorded and as read back,
// the instances' roles and the version each serves.
func (l *lbTest) checkCanary(t *testing.T, ctx context.Context, c *elasticloadbalancingv2.Client, want canaryWant) (lbFigures, []string) {
	t.Helper()
	var f lbFigures
	var wrong []string
	bad := func(format string, args ...any) { wrong = append(wrong, fmt.Sprintf(format, args...)) }
	rec := l.recorded(t)
	st := l.rolloutStatus(t)
	canaryKey := l.app + " (canary)"
	switch {
	case want.canary != "" && (st.Phase != "canary" || st.Canary == nil || len(st.Canary.Instances) != 1 || st.Canary.Weight != 10 || !st.splitAt(l.app, 10)):
		bad("rollout status: %+v, want the phase canary with 1 instance at 10%% and the listener at 90/10", st)
	case want.canary == "" && (st.Phase != "settled" || st.Canary != nil || len(st.Routers) != 1 || !slices.Equal(slices.Collect(maps.Keys(st.Routers[0].Listeners["80"])), []string{l.app})):
		bad("rollout status: %+v, want the phase settled, forwarding to %s only", st, l.app)
	}

	roles := map[string]string{}
	for _, in := range st.Instances {
		roles[in.ID] = in.Role
	}
	groups := map[string][]string{l.app: nil}
	if want.canary != "" {
		groups[canaryKey] = nil
	}
	seen := map[string]int{}
	var ids []string
	for _, in := range app.DecodeInstances(rec.app.Value) {
		ids = append(ids, in.ID)
		role, addr := roles[in.ID], in.Addresses["http"].String()
		if seen[in.Name+" "+role]++; seen[in.Name+" "+role] > 1 {
			t.Logf("instance %s is %s more than once", in.Name, role)
			f.duplicates++
		}
		tag := want.stable
		switch role {
		case "stable":
			groups[l.app] = append(groups[l.app], addr)
		case "canary":
			groups[canaryKey], tag = append(groups[canaryKey], addr), want.canary
		default:
			bad("instance %s (%s) is %q: want stable or canary", in.Name, in.ID, role)
		}
		if v := instanceVersion(t, addr); v != tag {
			bad("instance %s (%s, %s) serves %q, want %q", in.Name, role, addr, v, tag)
		}
	}
	if n, m := len(groups[l.app]), len(groups[canaryKey]); n != 6 || m != len(groups)-1 {
		bad("%d stable and %d canary instances, want 6 and %d", n, m, len(groups)-1)
	}
	f.add(l.checkGroups(t, ctx, c, groups))
	f.add(l.checkContainers(t, ids))

	// The listener forwards as the state says, read back from ELBv2.
	ls, err := c.DescribeListeners(ctx, &elasticloadbalancingv2.DescribeListenersInput{LoadBalancerArn: aws.String(app.Str(rec.lb.Value, "arn"))})
	if err != nil {
		t.Fatal(err)
	}
	stableARN, canaryARN := rec.groups[l.app], rec.groups[canaryKey]
	for _, x := range ls.Listeners {
		got := map[string]int{}
		for _, a := range x.DefaultActions {
			if a.ForwardConfig == nil {
				got[aws.ToString(a.TargetGroupArn)] = 1
				continue
			}
			for _, g := range a.ForwardConfig.TargetGroups {
				got[aws.ToString(g.TargetGroupArn)] = int(aws.ToInt32(g.Weight))
			}
		}
		ok := len(got) == 1 && got[stableARN] > 0
		if want.canary != "" {
			ok = maps.Equal(got, map[string]int{stableARN: 90, canaryARN: 10})
		}
		if !ok {
			bad("listener %d forwards %v; target_groups records %v", aws.ToInt32(x.Port), got, rec.groups)
		}
	}
	return f, wrong
}

// checkContainers compares the app's containers on both hosts, running
// or not, with the ids the state records: unrecorded ones (orphans), and
// recorded ones that do not exist (stale).
func (l *lbTest) checkContainers(t *testing.T, recorded []string) lbFigures {
	t.Helper()
	live := l.liveContainers(t)
	orphans, gone := unrecorded(live, recorded), unrecorded(recorded, live)
	for _, id := range orphans {
		t.Logf("container %s runs unrecorded", id)
	}
	for _, id := range gone {
		t.Logf("the state records container %s, which does not exist", id)
	}
	return lbFigures{orphans: len(orphans), stale: len(gone)}
}

// instanceVersion is what the test server at addr answers on /version.
func instanceVersion(t *testing.T, addr string) string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/version")
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(body))
}
