package aws

import (
	"encoding/json"
	"maps"
)

// privateData is what the provider keeps in a load balancer's private
// data (the core records it with the state and passes it back): the
// weight of each target's canary, by target name, as the canary groups'
// berth:canary-weight tags say. Refresh reads it from the tags; the
// plan, which cannot ask ELBv2, wants the listeners to forward it.
type privateData struct {
	CanaryWeights map[string]int `json:"canary_weights,omitempty"`
}

// decodePrivate reads private data; anything it cannot read is none.
func decodePrivate(b []byte) privateData {
	var p privateData
	if len(b) > 0 {
		_ = json.Unmarshal(b, &p)
	}
	return p
}

// privateOf is the private data of the canary weights w, given the
// object's previous private data prev: nil when neither holds anything
// (nothing to record), "{}" when the weights are gone.
func privateOf(w map[string]int, prev []byte) []byte {
	if len(w) == 0 && len(decodePrivate(prev).CanaryWeights) == 0 {
		return prev
	}
	b, _ := json.Marshal(privateData{CanaryWeights: maps.Clone(w)})
	return b
}
