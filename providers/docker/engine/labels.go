package engine

import (
	"strconv"

	"github.com/berth-sh/berth/providers/docker/scheduler"
)

// Labels berth puts on every container it creates. Refresh finds berth's
// containers by them (one label-filtered list call per host), the
// scheduler reads the requests back from them, and containers without
// LabelManaged are never touched.
const (
	LabelManaged = "sh.berth.managed"
	// LabelID is the state's lineage: two berth configurations sharing a
	// host each see only their own containers.
	LabelID       = "sh.berth.id"
	LabelApp      = "sh.berth.app"
	LabelInstance = "sh.berth.instance"
	// LabelConfigHash is the hash of the instance's spec, which the
	// provider computes; a container with another hash runs an outdated
	// spec.
	LabelConfigHash = "sh.berth.config-hash"
	// LabelImage is the image reference as written (the tag), next to the
	// digest the container runs.
	LabelImage = "sh.berth.image"
	// LabelCPURequest (millicores) and LabelMemoryRequest (bytes) are the
	// scheduler's requests, which the engine does not record (it has only
	// the limits).
	LabelCPURequest    = "sh.berth.cpu-request"
	LabelMemoryRequest = "sh.berth.memory-request"
	// LabelCreateKey is the idempotency key of the create that made the
	// container (providers.ApplyResourceChangeRequest.IdempotencyKey): how
	// an app whose create berth never recorded is found again. Only the
	// containers of that create carry it.
	LabelCreateKey = "sh.berth.create-key"
)

// InstanceLabels is what berth's labels say about a container.
type InstanceLabels struct {
	ID            string
	App           string
	Instance      string
	ConfigHash    string
	Image         string
	CPURequest    scheduler.MilliCPU
	MemoryRequest int64
	// CreateKey is set on the containers made by the app's create only.
	CreateKey string
}

// Map is the labels to set on the container.
func (l InstanceLabels) Map() map[string]string {
	m := map[string]string{
		LabelManaged:       "true",
		LabelID:            l.ID,
		LabelApp:           l.App,
		LabelInstance:      l.Instance,
		LabelConfigHash:    l.ConfigHash,
		LabelImage:         l.Image,
		LabelCPURequest:    strconv.FormatInt(int64(l.CPURequest), 10),
		LabelMemoryRequest: strconv.FormatInt(l.MemoryRequest, 10),
	}
	if l.CreateKey != "" {
		m[LabelCreateKey] = l.CreateKey
	}
	return m
}

// ParseLabels reads berth's labels; ok is false for a container that is not
// berth's. Malformed requests read as zero rather than failing a refresh.
func ParseLabels(m map[string]string) (l InstanceLabels, ok bool) {
	if m[LabelManaged] != "true" {
		return InstanceLabels{}, false
	}
	cpu, _ := strconv.ParseInt(m[LabelCPURequest], 10, 64)
	mem, _ := strconv.ParseInt(m[LabelMemoryRequest], 10, 64)
	return InstanceLabels{
		ID:            m[LabelID],
		App:           m[LabelApp],
		Instance:      m[LabelInstance],
		ConfigHash:    m[LabelConfigHash],
		Image:         m[LabelImage],
		CPURequest:    scheduler.MilliCPU(cpu),
		MemoryRequest: mem,
		CreateKey:     m[LabelCreateKey],
	}, true
}
