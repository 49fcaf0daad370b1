package kubernetes

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/berth-sh/berth/providers"
)

func TestPodOfStartedAndRestarts(t *testing.T) {
	started := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		status       corev1.PodStatus
		wantStarted  time.Time
		wantRestarts int
	}{
		{"pending", corev1.PodStatus{Phase: corev1.PodPending}, time.Time{}, 0},
		{"restarted", corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &metav1.Time{Time: started},
			ContainerStatuses: []corev1.ContainerStatus{{RestartCount: 2}, {RestartCount: 1}}}, started, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := podOf(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-abc"}, Status: tt.status})
			if !p.Started.Equal(tt.wantStarted) || p.Restarts != tt.wantRestarts {
				t.Errorf("started %v, restarts %d; want %v, %d", p.Started, p.Restarts, tt.wantStarted, tt.wantRestarts)
			}
		})
	}
}

func TestSizeQueue(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	next := make(chan providers.TerminalSize, 1)
	q := &sizeQueue{ctx: ctx, first: &remotecommand.TerminalSize{Width: 80, Height: 24}, next: next}
	if got := q.Next(); got == nil || *got != (remotecommand.TerminalSize{Width: 80, Height: 24}) {
		t.Fatalf("first size = %v, want 80x24", got)
	}
	next <- providers.TerminalSize{Width: 120, Height: 40}
	if got := q.Next(); got == nil || *got != (remotecommand.TerminalSize{Width: 120, Height: 40}) {
		t.Fatalf("resize = %v, want 120x40", got)
	}
	cancel()
	if got := q.Next(); got != nil {
		t.Fatalf("after the end: %v, want nil (monitoring stopped)", got)
	}
}
