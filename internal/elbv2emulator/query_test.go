package elbv2emulator

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

const sdkModule = "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

// snapshotDir is the SDK's request_snapshot directory in the module
// cache: the exact request bodies its client sends for each action.
func snapshotDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", sdkModule).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", sdkModule, err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "request_snapshot")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the SDK's request snapshots are missing: %v", err)
	}
	return dir
}

// snapshotBody is the form body of a request snapshot (the text after
// the method line and the headers).
func snapshotBody(t *testing.T, path string) url.Values {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(strings.TrimRight(string(b), "\n"), "\n\n")
	vals, err := url.ParseQuery(parts[len(parts)-1])
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return vals
}

var errCaptured = errors.New("captured")

type captureClient struct{ body []byte }

func (c *captureClient) Do(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c.body = b
	return nil, errCaptured
}

// TestDecodeRequestSnapshots decodes every request snapshot the SDK ships
// (all 51 actions, the emulator's among them) into the action's input
// structure, then has the real SDK client serialize that structure again:
// the body must be the snapshot's, so the decoder loses and invents
// nothing.
func TestDecodeRequestSnapshots(t *testing.T) {
	dir := snapshotDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.request.snap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no request snapshots in %s (%v)", dir, err)
	}
	capture := &captureClient{}
	client := elbv2.New(elbv2.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String("http://127.0.0.1:1"),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       capture,
	})
	have := map[string]bool{}
	for _, f := range files {
		action := strings.TrimSuffix(filepath.Base(f), ".request.snap")
		have[action] = true
		t.Run(action, func(t *testing.T) {
			want := snapshotBody(t, f)
			if got := want.Get("Action"); got != action {
				t.Fatalf("Action = %q", got)
			}
			method := reflect.ValueOf(client).MethodByName(action)
			if !method.IsValid() {
				t.Fatalf("the client has no method %s", action)
			}
			form, err := parseForm(want)
			if err != nil {
				t.Fatal(err)
			}
			in := reflect.New(method.Type().In(1).Elem())
			if err := decodeForm(form, in.Interface()); err != nil {
				t.Fatalf("decode: %v", err)
			}
			capture.body = nil
			res := method.Call([]reflect.Value{reflect.ValueOf(context.Background()), in})
			if err, _ := res[1].Interface().(error); !errors.Is(err, errCaptured) {
				t.Fatalf("the client did not send the decoded input: %v", err)
			}
			got, err := url.ParseQuery(string(capture.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("re-encoded body differs from the snapshot:\n%s", diffValues(want, got))
			}
		})
	}
	for _, a := range Actions() {
		if !have[a] {
			t.Errorf("no request snapshot for implemented action %s", a)
		}
	}
}

func diffValues(want, got url.Values) string {
	var lines []string
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			lines = append(lines, "  "+k+": want "+strings.Join(v, ",")+", got "+strings.Join(got[k], ","))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			lines = append(lines, "  "+k+": unexpected "+strings.Join(v, ","))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestDecodeFormErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"unknown parameter", "Action=RegisterTargets&Version=2015-12-01&Bogus=1", "unknown parameter Bogus"},
		{"unknown member", "Action=RegisterTargets&Version=2015-12-01&Targets.member.1.Nope=1", "unknown parameter Targets.member.1.Nope"},
		{"bad integer", "Action=RegisterTargets&Version=2015-12-01&Targets.member.1.Port=x", "not an integer"},
		{"gap in list", "Action=RegisterTargets&Version=2015-12-01&Targets.member.2.Id=a", "list indexes"},
		{"list without member", "Action=RegisterTargets&Version=2015-12-01&Targets.1.Id=a", "must be a list"},
		{"bad boolean", "Action=CreateTargetGroup&Version=2015-12-01&HealthCheckEnabled=yes", "not a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals, err := url.ParseQuery(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			form, err := parseForm(vals)
			if err != nil {
				t.Fatal(err)
			}
			var in any = &elbv2.RegisterTargetsInput{}
			if vals.Get("Action") == "CreateTargetGroup" {
				in = &elbv2.CreateTargetGroupInput{}
			}
			err = decodeForm(form, in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDecodeEmptyList(t *testing.T) {
	vals, _ := url.ParseQuery("Action=CreateListener&Version=2015-12-01&Certificates=&Port=80")
	form, err := parseForm(vals)
	if err != nil {
		t.Fatal(err)
	}
	var in elbv2.CreateListenerInput
	if err := decodeForm(form, &in); err != nil {
		t.Fatal(err)
	}
	if in.Certificates == nil || len(in.Certificates) != 0 || aws.ToInt32(in.Port) != 80 {
		t.Fatalf("decoded %+v", in)
	}
}
