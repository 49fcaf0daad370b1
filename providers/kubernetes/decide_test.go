package kubernetes

import (
	"slices"
	"testing"

	"github.com/berth-sh/berth/platform/app"
	"github.com/zclconf/go-cty/cty"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func running(name, hash, digest string) app.Instance {
	return app.Instance{Name: name, Host: "kwok-node-0", ID: name + "-" + hash, Status: statusRunning, Ready: true, ConfigHash: hash, ImageDigest: digest}
}

func TestDecide(t *testing.T) {
	rollout := app.Rollout{InitialBatch: 1, Growth: 2, HealthyDeadline: 300e9, AutoRevert: true}
	tests := []struct {
		name    string
		in      planInput
		planned []string // names of planned (new) instances
		waves   []int    // nil: no rollout
	}{
		{"create", planInput{App: "web", Hash: "h2", Pinned: "d2", Replicas: 3, Rollout: rollout}, []string{"web-0", "web-1", "web-2"}, nil},
		{"nothing to do", planInput{App: "web", Hash: "h1", Pinned: "d1", HasPrior: true, Replicas: 2, Rollout: rollout,
			Existing: []app.Instance{running("web-0", "h1", "d1"), running("web-1", "h1", "d1")}}, nil, nil},
		{"image change rolls out in growing waves", planInput{App: "web", Hash: "h2", Pinned: "d2", HasPrior: true, Replicas: 4, Rollout: rollout,
			Existing: []app.Instance{running("web-0", "h1", "d1"), running("web-1", "h1", "d1"), running("web-2", "h1", "d1"), running("web-3", "h1", "d1")}},
			[]string{"web-0", "web-1", "web-2", "web-3"}, []int{1, 2, 1}},
		{"scale up without a rollout", planInput{App: "web", Hash: "h1", Pinned: "d1", HasPrior: true, Replicas: 3, Rollout: rollout,
			Existing: []app.Instance{running("web-0", "h1", "d1")}}, []string{"web-1", "web-2"}, nil},
		{"a pod running another image in the revision (kubectl set image) is repaired in place", planInput{App: "web", Hash: "h1", Pinned: "d1", HasPrior: true, Replicas: 2, Rollout: rollout,
			Existing: []app.Instance{running("web-0", "h1", "nginx:other"), running("web-1", "h1", "d1")}}, []string{"web-0"}, nil},
		{"a modified Deployment is repaired in place", planInput{App: "web", Hash: "h1", Pinned: "d1", HasPrior: true, Replicas: 1, Rollout: rollout,
			Existing: []app.Instance{func() app.Instance { in := running("web-0", "h1", "d1"); in.Status = statusModified; return in }()}}, []string{"web-0"}, nil},
		{"a failed rollout is proposed again", planInput{App: "web", Hash: "h2", Pinned: "d2", HasPrior: true, Replicas: 3, Rollout: rollout,
			Existing: []app.Instance{running("web-0", "h1", "d1"), running("web-1", "h1", "d1"), running("web-2", "h1", "d1"), func() app.Instance {
				in := running("web-0", "h2", "d2")
				in.Ready, in.Status = false, statusNotReady
				return in
			}()}},
			[]string{"web-0", "web-1", "web-2"}, []int{1, 2}},
		{"rollout resumed: ready new pods are kept", planInput{App: "web", Hash: "h2", Pinned: "d2", HasPrior: true, Replicas: 3, Rollout: rollout,
			Existing: []app.Instance{running("web-0", "h2", "d2"), running("web-1", "h1", "d1"), running("web-2", "h1", "d1")}},
			[]string{"web-1", "web-2"}, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := decide(tt.in)
			if len(out.Instances) != tt.in.Replicas {
				t.Fatalf("%d instances, want %d", len(out.Instances), tt.in.Replicas)
			}
			var planned []string
			for _, in := range out.Instances {
				if in.Planned {
					planned = append(planned, in.Name)
					if in.Host != "" || in.ConfigHash != tt.in.Hash || in.ImageDigest != tt.in.Pinned {
						t.Errorf("planned %+v: want no host, hash %s, digest %s", in, tt.in.Hash, tt.in.Pinned)
					}
				}
			}
			if !slices.Equal(planned, tt.planned) {
				t.Errorf("planned %v, want %v", planned, tt.planned)
			}
			var waves []int
			if out.Rollout != nil {
				for _, w := range out.Rollout.Waves {
					waves = append(waves, len(w.Instances))
				}
			}
			if !slices.Equal(waves, tt.waves) {
				t.Errorf("waves %v, want %v", waves, tt.waves)
			}
		})
	}
}

// TestAutoscaled: an autoscaled app's count is the slots its pods fill,
// also mid-rollout, when two revisions' Deployments together run more
// pods than the app has slots.
func TestAutoscaled(t *testing.T) {
	dep := func(replicas int64) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"replicas": replicas}}}
	}
	hpa := &unstructured.Unstructured{Object: map[string]any{}}
	midWave := []app.Instance{running("web-0", "h1", "d1"), running("web-0", "h2", "d2"), running("web-1", "h1", "d1"),
		running("web-2", "h1", "d1"), running("web-3", "h1", "d1")}
	terminating := running("web-4", "h1", "d1")
	terminating.Status = statusTerminating
	tests := []struct {
		name   string
		l      *live
		prior  []app.Instance
		want   int
		wantOK bool
	}{
		{"no autoscaler", &live{Deployments: map[string]*unstructured.Unstructured{"web-h1": dep(4)}}, midWave, 0, false},
		{"mid-wave: 4 slots, 5 pods", &live{HPA: hpa, Deployments: map[string]*unstructured.Unstructured{"web-h1": dep(4), "web-h2": dep(1)}}, midWave, 4, true},
		{"a terminating pod is not a slot", &live{HPA: hpa, Deployments: map[string]*unstructured.Unstructured{"web-h1": dep(4)}}, append(midWave[:1:1], terminating), 1, true},
		{"no instances: the Deployments' count", &live{HPA: hpa, Deployments: map[string]*unstructured.Unstructured{"web-h1": dep(6)}}, nil, 6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prior := cty.NullVal(cty.DynamicPseudoType)
			if tt.prior != nil {
				prior = cty.ObjectVal(map[string]cty.Value{"instances": app.InstancesValue(tt.prior)})
			}
			if n, ok := autoscaled(tt.l, prior); n != tt.want || ok != tt.wantOK {
				t.Errorf("autoscaled = %d, %v; want %d, %v", n, ok, tt.want, tt.wantOK)
			}
		})
	}
}
