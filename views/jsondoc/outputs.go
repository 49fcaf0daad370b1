package jsondoc

import (
	"encoding/json"

	"github.com/berth-sh/berth/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Output is a recorded output as `output -json` prints it (Terraform's
// shape), and as the state document and the stream's outputs message
// carry it.
type Output struct {
	Sensitive bool `json:"sensitive"`
	Value     any  `json:"value,omitempty"`
}

// Outputs is the outputs of st by name. withSensitive includes the values
// of sensitive outputs (`output -json`, which a script asked for).
func Outputs(st *state.State, withSensitive bool) map[string]Output {
	out := make(map[string]Output, len(st.Outputs))
	for n, o := range st.Outputs {
		jo := Output{Sensitive: o.Sensitive}
		if withSensitive || !o.Sensitive {
			if b, err := OutputValue(o.Value); err == nil {
				jo.Value = json.RawMessage(b)
			}
		}
		out[n] = jo
	}
	return out
}

// OutputValue encodes a recorded (wholly known) value as plain JSON, marks
// dropped: `output -json NAME`.
func OutputValue(v cty.Value) ([]byte, error) {
	v, _ = v.UnmarkDeep()
	return ctyjson.SimpleJSONValue{Value: v}.MarshalJSON()
}
