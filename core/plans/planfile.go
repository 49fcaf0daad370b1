package plans

// The saved plan file (`berth plan -out FILE`, `berth apply FILE`,
// `berth show FILE`).
//
// A plan file is one JSON document, self-contained (it can be shown without
// configuration, state or providers) and versioned:
//
//	{
//	  "format_version": 3,
//	  "checksum": "sha256:…",
//	  "berth_version": "0.1.0-dev",
//	  "mode": "normal",
//	  "state_lineage": "8a0c…", "state_serial": 11,
//	  "config_hash": "sha256:…",
//	  "provider_hashes": {"docker": "h1:…"},
//	  "redaction_key": "base64…",
//	  "variables": {"tag": VALUE},
//	  "targets": ["app.web"], "replace": [], "refresh": true,
//	  "errored": false,
//	  "changes": [CHANGE…], "drift": [CHANGE…], "outputs": [OUTPUT…]
//	}
//
// where a VALUE is {"type": <cty type JSON>, "msgpack": "base64…",
// "redacted": [{"path": PATH, "digest": "hmac-sha256:…"}]} and CHANGE is
// {"address", "provider", "action", "reason", "before": VALUE, "after":
// VALUE, "requires_replace": [PATH…], "private": "base64…", "rollout": {…},
// "dependencies": [ADDRESS…]}. A VALUE that is absent or null stands for
// cty.NilVal. Values are cty msgpack rather than cty JSON because msgpack
// encodes unknown values, which a planned state is full of; the type is
// stored beside each value so that the file decodes without any schema.
// PATHs have the state file's encoding: a list of {"type": "get_attr",
// "value": NAME} and {"type": "index", "value": {"value": KEY, "type": T}}.
//
// # Integrity
//
// "checksum" is the sha256 of the plan's canonical encoding: the compact
// JSON of everything else in the file, as read (see checksum). A file whose
// checksum is missing or does not match, that stops short (truncated), that
// has a field this berth does not write, or whose content is not a valid
// plan is refused with ErrCorrupted, "the plan file is corrupted or was
// edited". The checksum is computed over the decoded content, not the
// bytes, so that it covers exactly what is read: re-indenting the file
// changes nothing read and is accepted; any edit of a value is refused.
//
// A checksum detects corruption and careless edits, not a forger, who can
// compute it again: what stands against a forged plan is apply, which
// plans again and carries out only a plan that agrees with the saved one
// (core's replanSaved). The format version changes whenever the format
// does, and only the current version is read.
//
// # Sensitive values
//
// DESIGN says that sensitive values are redacted in every output, plan file
// and log, so a plan file never holds a secret. Every part of a value that
// carries the sensitive mark (providers.IsSensitiveMark) is written as a null of the
// same type, and its path is recorded with a digest: HMAC-SHA256, keyed with
// a random key generated per plan file (redaction_key), of the value's type
// and msgpack encoding. Reading gives those parts back as nulls carrying
// providers.SensitiveMark, listed in the BeforeRedacted / AfterRedacted /
// VariablesRedacted fields, so the plan can be shown ("(sensitive value)")
// but not applied as is (no saved plan is: apply carries out the plan it
// makes again, see core's replanSaved): Plan.Unredact puts the fresh
// values (the sensitive variables given again, the values planned again)
// in place after checking that each has the digest recorded at plan time.
// A secret that changed between plan and apply thus makes the plan stale,
// as a changed state does.
//
// A part of a set that is sensitive makes the whole set redacted: set
// elements are identified by their value, so nulls would merge them.
//
// Limitations: the key is in the file, so the digest protects a
// high-entropy secret (a token, a generated password) but a low-entropy one
// can be found by whoever holds the file by trying candidates; and the
// providers' Private bytes are stored as given: a provider must not put
// secrets there.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/atomicfile"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state/encryption"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/version"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"github.com/zclconf/go-cty/cty/msgpack"
)

// PlanFileFormatVersion is the version of the plan file format this build
// writes and the only one it reads: a plan is applied by the berth that
// made it, so there is no reading of older formats.
const PlanFileFormatVersion = 3

// ErrCorrupted is wrapped by the error of a file that starts as a plan
// file but does not hold a plan as berth writes it (see "Integrity" above).
var ErrCorrupted = errors.New("the plan file is corrupted or was edited")

// corrupted is an ErrCorrupted error saying why.
func corrupted(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupted, fmt.Sprintf(format, args...))
}

// Redaction is a sensitive part of a value that a plan file holds only as a
// digest.
type Redaction struct {
	// Path is where the part is in the value (an empty path is the whole value).
	Path cty.Path
	// Digest is "hmac-sha256:" and the hex HMAC of the part's type and value,
	// keyed with the plan's RedactionKey.
	Digest string
}

// HasSensitiveMark reports whether v itself (not a nested value) carries a
// sensitive mark (providers.IsSensitiveMark).
func HasSensitiveMark(v cty.Value) bool {
	return providers.HasSensitiveMark(v.Marks())
}

// IsSensitive reports whether v is hidden as a whole wherever it is shown
// or saved: it carries a sensitive mark, or it is a set with a sensitive
// element (a set's elements are identified by their values, so one cannot
// be shown without the others; see "Sensitive values" above).
func IsSensitive(v cty.Value) bool {
	return HasSensitiveMark(v) || (v.Type().IsSetType() && containsSensitive(v))
}

// containsSensitive reports whether v or any value nested in it carries a
// sensitive mark.
func containsSensitive(v cty.Value) bool {
	if !v.ContainsMarked() {
		return false
	}
	_, pvms := v.UnmarkDeepWithPaths()
	for _, pvm := range pvms {
		if providers.HasSensitiveMark(pvm.Marks) {
			return true
		}
	}
	return false
}

type fileValue struct {
	Type     json.RawMessage `json:"type"`
	Msgpack  []byte          `json:"msgpack"`
	Redacted []fileRedaction `json:"redacted,omitempty"`
}

type fileRedaction struct {
	Path   json.RawMessage `json:"path"`
	Digest string          `json:"digest"`
}

type fileRollout struct {
	Waves           []fileWave  `json:"waves"`
	MinHealthy      string      `json:"min_healthy,omitempty"`
	HealthyDeadline string      `json:"healthy_deadline,omitempty"`
	AutoRevert      bool        `json:"auto_revert"`
	MaxUnavailable  int         `json:"max_unavailable"`
	Canary          *fileCanary `json:"canary,omitempty"`
}

type fileCanary struct {
	Instances int `json:"instances"`
	Weight    int `json:"weight"`
}

type fileWave struct {
	Instances []fileWaveInstance `json:"instances"`
}

type fileWaveInstance struct {
	Name string `json:"name"`
	Host string `json:"host,omitempty"`
}

type fileChange struct {
	Address         string            `json:"address"`
	Provider        string            `json:"provider"`
	Action          Action            `json:"action"`
	Reason          Reason            `json:"reason,omitempty"`
	Deposed         string            `json:"deposed,omitempty"`
	Before          *fileValue        `json:"before"`
	After           *fileValue        `json:"after"`
	RequiresReplace []json.RawMessage `json:"requires_replace,omitempty"`
	Private         []byte            `json:"private,omitempty"`
	Rollout         *fileRollout      `json:"rollout,omitempty"`
	Routers         []string          `json:"routers,omitempty"`
	Canary          CanaryPart        `json:"canary,omitempty"`
	Dependencies    []string          `json:"dependencies,omitempty"`
}

type fileOutput struct {
	Name      string     `json:"name"`
	Action    Action     `json:"action"`
	Sensitive bool       `json:"sensitive"`
	Before    *fileValue `json:"before"`
	After     *fileValue `json:"after"`
}

type filePlan struct {
	FormatVersion  int                   `json:"format_version"`
	Checksum       string                `json:"checksum"`
	BerthVersion   string                `json:"berth_version"`
	Mode           Mode                  `json:"mode"`
	StateLineage   string                `json:"state_lineage"`
	StateSerial    uint64                `json:"state_serial"`
	ConfigHash     string                `json:"config_hash"`
	ProviderHashes map[string]string     `json:"provider_hashes"`
	RedactionKey   []byte                `json:"redaction_key"`
	Variables      map[string]*fileValue `json:"variables"`
	Targets        []string              `json:"targets"`
	Replace        []string              `json:"replace"`
	Refresh        bool                  `json:"refresh"`
	Errored        bool                  `json:"errored"`
	Changes        []*fileChange         `json:"changes"`
	Drift          []*fileChange         `json:"drift"`
	Outputs        []*fileOutput         `json:"outputs"`
	Recovered      []fileRecovery        `json:"recovered,omitempty"`
}

// fileRecovery is a Recovery: what the plan told it recovered first.
type fileRecovery struct {
	Address string          `json:"address"`
	Deposed string          `json:"deposed,omitempty"`
	Action  string          `json:"action"`
	Outcome RecoveryOutcome `json:"outcome"`
	ID      string          `json:"id,omitempty"`
}

// WritePlanFile saves p to path, atomically (a temporary file in the same
// directory, fsync, rename), readable only by its owner, encrypted with
// keys (package state/encryption; nil: in plaintext). Sensitive values
// are redacted (see the comment at the top of this file), and encryption
// hides the rest: the names of the attributes, the values that are not
// sensitive. p is not changed.
func WritePlanFile(ctx context.Context, path string, p *Plan, keys *encryption.Target) error {
	data, err := EncodePlan(p)
	if err != nil {
		return fmt.Errorf("writing plan file %s: %w", path, err)
	}
	data, err = keys.Seal(ctx, data, encryption.Header{Kind: encryption.KindPlan, FormatVersion: PlanFileFormatVersion})
	if err != nil {
		return fmt.Errorf("writing plan file %s: %w", path, err)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("writing plan file %s: %w", path, err)
	}
	return nil
}

// ReadPlanFile reads a plan saved by WritePlanFile, decrypting it with
// keys: an encrypted plan keys cannot decrypt is refused, and so is a
// plaintext one when keys encrypts and does not read plaintext (see
// encryption.Target.Open).
func ReadPlanFile(ctx context.Context, path string, keys *encryption.Target) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading plan file: %w", err)
	}
	opened, err := keys.Open(ctx, data, encryption.KindPlan)
	if err != nil {
		return nil, fmt.Errorf("reading plan file %s: %w", path, err)
	}
	p, err := DecodePlan(opened.Plain)
	if err != nil {
		return nil, fmt.Errorf("reading plan file %s: %w", path, err)
	}
	return p, nil
}

// EncodePlan returns the plan file encoding of p.
func EncodePlan(p *Plan) ([]byte, error) {
	e := &planEncoder{key: p.RedactionKey}
	if len(e.key) == 0 {
		e.key = make([]byte, 32)
		_, _ = rand.Read(e.key) // crypto/rand.Read never fails
	}
	fp := &filePlan{
		FormatVersion:  PlanFileFormatVersion,
		BerthVersion:   version.String(),
		Mode:           p.Mode,
		StateLineage:   p.StateLineage,
		StateSerial:    p.StateSerial,
		ConfigHash:     p.ConfigHash,
		ProviderHashes: p.ProviderHashes,
		RedactionKey:   e.key,
		Variables:      map[string]*fileValue{},
		Targets:        instanceStrings(p.Targets),
		Replace:        instanceStrings(p.Replace),
		Refresh:        p.Refresh,
		Errored:        p.Errored,
		Changes:        []*fileChange{},
		Drift:          []*fileChange{},
		Outputs:        []*fileOutput{},
	}
	for _, r := range p.Recovered {
		fp.Recovered = append(fp.Recovered, fileRecovery{Address: r.Addr.String(), Deposed: r.Deposed, Action: r.Action, Outcome: r.Outcome, ID: r.ID})
	}
	var err error
	for name, v := range p.Variables {
		if fp.Variables[name], err = e.value(v, p.VariablesRedacted[name]); err != nil {
			return nil, fmt.Errorf("variable %q: %w", name, err)
		}
	}
	for _, c := range p.Changes {
		fc, err := e.change(c)
		if err != nil {
			return nil, err
		}
		fp.Changes = append(fp.Changes, fc)
	}
	for _, c := range p.Drift {
		fc, err := e.change(c)
		if err != nil {
			return nil, fmt.Errorf("drift: %w", err)
		}
		fp.Drift = append(fp.Drift, fc)
	}
	for _, o := range p.Outputs {
		before, after := o.Before, o.After
		if o.Sensitive {
			// A sensitive output is sensitive as a whole, marked or not.
			before, after = markSensitive(before), markSensitive(after)
		}
		fo := &fileOutput{Name: o.Name, Action: o.Action, Sensitive: o.Sensitive}
		if fo.Before, err = e.value(before, o.BeforeRedacted); err != nil {
			return nil, fmt.Errorf("output %q: before: %w", o.Name, err)
		}
		if fo.After, err = e.value(after, o.AfterRedacted); err != nil {
			return nil, fmt.Errorf("output %q: after: %w", o.Name, err)
		}
		fp.Outputs = append(fp.Outputs, fo)
	}
	if fp.Checksum, err = checksum(fp); err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(fp, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// checksum is the sha256 of fp's canonical encoding: its compact JSON
// with the checksum left empty. encoding/json writes struct fields in
// declaration order, map keys sorted and raw JSON compacted, so a plan
// encodes alike when written and when read back.
func checksum(fp *filePlan) (string, error) {
	c := *fp
	c.Checksum = ""
	data, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func markSensitive(v cty.Value) cty.Value {
	if v == cty.NilVal || HasSensitiveMark(v) {
		return v
	}
	return v.Mark(providers.SensitiveMark)
}

func instanceStrings(is []addrs.Instance) []string {
	out := make([]string, len(is))
	for i, a := range is {
		out[i] = a.String()
	}
	return out
}

type planEncoder struct {
	key []byte
}

func (e *planEncoder) change(c *ResourceChange) (*fileChange, error) {
	fc := &fileChange{
		Address:  c.Addr.String(),
		Provider: c.Provider,
		Action:   c.Action,
		Reason:   c.Reason,
		Deposed:  c.Deposed,
		Private:  c.Private,
	}
	var err error
	if fc.Before, err = e.value(c.Before, c.BeforeRedacted); err != nil {
		return nil, fmt.Errorf("%s: before: %w", fc.Address, err)
	}
	if fc.After, err = e.value(c.After, c.AfterRedacted); err != nil {
		return nil, fmt.Errorf("%s: after: %w", fc.Address, err)
	}
	for _, p := range c.RequiresReplace {
		fpath, err := statefile.MarshalPath(p)
		if err != nil {
			return nil, fmt.Errorf("%s: requires_replace: %w", fc.Address, err)
		}
		fc.RequiresReplace = append(fc.RequiresReplace, fpath)
	}
	if r := c.Rollout; r != nil {
		fr := &fileRollout{
			Waves:           []fileWave{},
			MinHealthy:      fileDuration(r.MinHealthy),
			HealthyDeadline: fileDuration(r.HealthyDeadline),
			AutoRevert:      r.AutoRevert,
			MaxUnavailable:  r.MaxUnavailable,
		}
		if c := r.Canary; c != nil {
			fr.Canary = &fileCanary{Instances: c.Instances, Weight: c.Weight}
		}
		for _, w := range r.Waves {
			fw := fileWave{Instances: []fileWaveInstance{}}
			for _, in := range w.Instances {
				fw.Instances = append(fw.Instances, fileWaveInstance(in))
			}
			fr.Waves = append(fr.Waves, fw)
		}
		fc.Rollout = fr
	}
	for _, r := range c.Routers {
		fc.Routers = append(fc.Routers, r.String())
	}
	fc.Canary = c.Canary
	for _, d := range c.Dependencies {
		fc.Dependencies = append(fc.Dependencies, d.String())
	}
	return fc, nil
}

// value encodes v with its sensitive parts redacted. prior are the
// redactions v already had (a plan read from a file and written again):
// their parts are placeholders, so their digests are kept, not recomputed.
func (e *planEncoder) value(v cty.Value, prior []Redaction) (*fileValue, error) {
	if v == cty.NilVal {
		return nil, nil
	}
	var redactions []Redaction
	plain, err := e.redact(v, nil, prior, &redactions)
	if err != nil {
		return nil, err
	}
	ty := plain.Type()
	tyJSON, err := ctyjson.MarshalType(ty)
	if err != nil {
		return nil, err
	}
	mp, err := msgpack.Marshal(plain, ty)
	if err != nil {
		return nil, err
	}
	fv := &fileValue{Type: tyJSON, Msgpack: mp}
	for _, r := range redactions {
		fpath, err := statefile.MarshalPath(r.Path)
		if err != nil {
			return nil, err
		}
		fv.Redacted = append(fv.Redacted, fileRedaction{Path: fpath, Digest: r.Digest})
	}
	return fv, nil
}

// redact returns v without marks, with every sensitive part replaced by a
// null of its type, and appends a Redaction for each such part to out.
func (e *planEncoder) redact(v cty.Value, path cty.Path, prior []Redaction, out *[]Redaction) (cty.Value, error) {
	sensitive := IsSensitive(v)
	v, _ = v.Unmark()
	ty := v.Type()
	if sensitive {
		r := Redaction{Path: slices.Clone(path)}
		if i := slices.IndexFunc(prior, func(r Redaction) bool { return r.Path.Equals(path) }); i >= 0 {
			r.Digest = prior[i].Digest
		} else {
			var err error
			if r.Digest, err = digest(e.key, unmarkDeep(v), ty); err != nil {
				return cty.NilVal, err
			}
		}
		*out = append(*out, r)
		return cty.NullVal(ty), nil
	}
	if !v.IsKnown() || v.IsNull() || !v.ContainsMarked() {
		return unmarkDeep(v), nil
	}
	child := func(step cty.PathStep, cv cty.Value) (cty.Value, error) {
		return e.redact(cv, append(path[:len(path):len(path)], step), prior, out)
	}
	switch {
	case ty.IsObjectType():
		attrs := make(map[string]cty.Value, len(ty.AttributeTypes()))
		// Sorted, so that the same plan always encodes to the same redactions.
		for _, name := range slices.Sorted(maps.Keys(ty.AttributeTypes())) {
			cv, err := child(cty.GetAttrStep{Name: name}, v.GetAttr(name))
			if err != nil {
				return cty.NilVal, err
			}
			attrs[name] = cv
		}
		return cty.ObjectVal(attrs), nil
	case ty.IsListType(), ty.IsTupleType(), ty.IsMapType():
		var elems []cty.Value
		m := map[string]cty.Value{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			cv, err := child(cty.IndexStep{Key: k}, ev)
			if err != nil {
				return cty.NilVal, err
			}
			if ty.IsMapType() {
				m[k.AsString()] = cv
			} else {
				elems = append(elems, cv)
			}
		}
		switch {
		case ty.IsMapType():
			return cty.MapVal(m), nil
		case ty.IsTupleType():
			return cty.TupleVal(elems), nil
		default:
			return cty.ListVal(elems), nil
		}
	}
	return unmarkDeep(v), nil
}

func unmarkDeep(v cty.Value) cty.Value {
	v, _ = v.UnmarkDeep()
	return v
}

// digest is the HMAC of a value and its type (so that "1" and 1 differ).
func digest(key []byte, v cty.Value, ty cty.Type) (string, error) {
	tyJSON, err := ctyjson.MarshalType(ty)
	if err != nil {
		return "", err
	}
	mp, err := msgpack.Marshal(v, ty)
	if err != nil {
		return "", err
	}
	h := hmac.New(sha256.New, key)
	h.Write(tyJSON)
	h.Write([]byte{0})
	h.Write(mp)
	return "hmac-sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// ErrRedactedMismatch is wrapped by Unredact's error when a fresh value does
// not have the digest recorded in the plan: the secret changed since the
// plan was made.
var ErrRedactedMismatch = errors.New("a sensitive value changed since the plan was made")

// Unredact returns saved (a value of a plan read from a plan file) with each
// redacted part replaced by the part at the same path of fresh (the same
// value computed again at apply time, with its secrets), marked sensitive,
// after checking that the fresh part has the digest recorded at plan time.
// A mismatch is an error wrapping ErrRedactedMismatch that names the path,
// never the value. With no redactions, saved is returned as is.
func (p *Plan) Unredact(saved cty.Value, redactions []Redaction, fresh cty.Value) (cty.Value, error) {
	if len(redactions) == 0 {
		return saved, nil
	}
	if len(p.RedactionKey) == 0 {
		return cty.NilVal, errors.New("the plan has redacted values but no redaction key")
	}
	out := saved
	for _, r := range redactions {
		placeholder, err := r.Path.Apply(saved)
		if err != nil {
			return cty.NilVal, fmt.Errorf("redacted value at %s: %w", FormatPath(r.Path), err)
		}
		fv, err := r.Path.Apply(fresh)
		if err != nil {
			return cty.NilVal, fmt.Errorf("sensitive value at %s: not in the fresh value: %w", FormatPath(r.Path), err)
		}
		fv = unmarkDeep(fv)
		ty := placeholder.Type()
		if !fv.Type().Equals(ty) {
			return cty.NilVal, fmt.Errorf("sensitive value at %s: %w (its type changed)", FormatPath(r.Path), ErrRedactedMismatch)
		}
		d, err := digest(p.RedactionKey, fv, ty)
		if err != nil {
			return cty.NilVal, fmt.Errorf("sensitive value at %s: %w", FormatPath(r.Path), err)
		}
		if !hmac.Equal([]byte(d), []byte(r.Digest)) {
			return cty.NilVal, fmt.Errorf("sensitive value at %s: %w", FormatPath(r.Path), ErrRedactedMismatch)
		}
		if out, err = replaceAt(out, r.Path, fv.Mark(providers.SensitiveMark)); err != nil {
			return cty.NilVal, fmt.Errorf("redacted value at %s: %w", FormatPath(r.Path), err)
		}
	}
	return out, nil
}

// replaceAt returns v with the value at path replaced by nv. Paths never
// lead into sets (a sensitive part of a set redacts the set).
func replaceAt(v cty.Value, path cty.Path, nv cty.Value) (cty.Value, error) {
	if len(path) == 0 {
		return nv, nil
	}
	v, marks := v.Unmark()
	if v.IsNull() || !v.IsKnown() {
		return cty.NilVal, errors.New("no such path")
	}
	ty := v.Type()
	switch step := path[0].(type) {
	case cty.GetAttrStep:
		if !ty.IsObjectType() || !ty.HasAttribute(step.Name) {
			return cty.NilVal, errors.New("no such attribute")
		}
		attrs := v.AsValueMap()
		cv, err := replaceAt(attrs[step.Name], path[1:], nv)
		if err != nil {
			return cty.NilVal, err
		}
		attrs[step.Name] = cv
		return cty.ObjectVal(attrs).WithMarks(marks), nil
	case cty.IndexStep:
		switch {
		case ty.IsListType(), ty.IsTupleType():
			elems := v.AsValueSlice()
			bf := step.Key.AsBigFloat()
			i, acc := bf.Int64()
			if acc != 0 || i < 0 || int(i) >= len(elems) {
				return cty.NilVal, errors.New("index out of range")
			}
			cv, err := replaceAt(elems[i], path[1:], nv)
			if err != nil {
				return cty.NilVal, err
			}
			elems[i] = cv
			if ty.IsTupleType() {
				return cty.TupleVal(elems).WithMarks(marks), nil
			}
			return cty.ListVal(elems).WithMarks(marks), nil
		case ty.IsMapType():
			m := v.AsValueMap()
			k := step.Key.AsString()
			old, ok := m[k]
			if !ok {
				return cty.NilVal, errors.New("no such key")
			}
			cv, err := replaceAt(old, path[1:], nv)
			if err != nil {
				return cty.NilVal, err
			}
			m[k] = cv
			return cty.MapVal(m).WithMarks(marks), nil
		}
	}
	return cty.NilVal, fmt.Errorf("cannot step into a %s", ty.FriendlyName())
}

// FormatPath writes a path as in configuration: resources.cpu, ports[0],
// env["LOG_LEVEL"].
func FormatPath(p cty.Path) string {
	var b bytes.Buffer
	for i, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Name)
		case cty.IndexStep:
			switch {
			case s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull():
				fmt.Fprintf(&b, "[%q]", s.Key.AsString())
			case s.Key.Type() == cty.Number && s.Key.IsKnown() && !s.Key.IsNull():
				fmt.Fprintf(&b, "[%s]", s.Key.AsBigFloat().Text('f', -1))
			default:
				b.WriteString("[…]")
			}
		}
	}
	return b.String()
}

// DecodePlan parses a plan file. A file of another format version, or one
// that is not a plan file at all, is refused with an error saying so; one
// that is damaged or was edited, with an error wrapping ErrCorrupted.
func DecodePlan(data []byte) (*Plan, error) {
	var head struct {
		FormatVersion *int   `json:"format_version"`
		BerthVersion  string `json:"berth_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		if startsAsPlanFile(data) {
			return nil, corrupted("it is not valid JSON (%v)", err)
		}
		return nil, fmt.Errorf("not a berth plan file, or a damaged one: %w", err)
	}
	if head.FormatVersion == nil {
		return nil, errors.New("not a berth plan file: no format_version")
	}
	if *head.FormatVersion != PlanFileFormatVersion {
		return nil, fmt.Errorf("the plan file has format version %d (written by berth %s); this berth (%s) reads only format version %d: make the plan again with this version",
			*head.FormatVersion, head.BerthVersion, version.String(), PlanFileFormatVersion)
	}
	// The whole file parsed above; a field this berth does not write is
	// refused rather than ignored, since the checksum does not cover it.
	var fp filePlan
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fp); err != nil {
		return nil, corrupted("%v", err)
	}
	if fp.Checksum == "" {
		return nil, corrupted("it has no checksum")
	}
	sum, err := checksum(&fp)
	if err != nil {
		return nil, corrupted("%v", err)
	}
	if sum != fp.Checksum {
		return nil, corrupted("its checksum does not match its content")
	}
	p, err := decodeFilePlan(&fp)
	if err != nil {
		return nil, corrupted("%v", err)
	}
	return p, nil
}

// startsAsPlanFile reports whether data begins as berth writes a plan
// file, {"format_version": N: such a file that does not parse is a
// damaged plan file (a truncated one, say), not some other file.
func startsAsPlanFile(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	for _, want := range []func(json.Token) bool{
		func(t json.Token) bool { return t == json.Delim('{') },
		func(t json.Token) bool { return t == "format_version" },
		func(t json.Token) bool { _, ok := t.(float64); return ok },
	} {
		t, err := dec.Token()
		if err != nil || !want(t) {
			return false
		}
	}
	return true
}

// decodeFilePlan turns the file's content into a plan, checking that it
// is one berth could have written.
func decodeFilePlan(fp *filePlan) (*Plan, error) {
	p := &Plan{
		Mode:           fp.Mode,
		StateLineage:   fp.StateLineage,
		StateSerial:    fp.StateSerial,
		ConfigHash:     fp.ConfigHash,
		ProviderHashes: fp.ProviderHashes,
		Refresh:        fp.Refresh,
		Errored:        fp.Errored,
		BerthVersion:   fp.BerthVersion,
		RedactionKey:   fp.RedactionKey,
		Saved:          true,
	}
	switch p.Mode {
	case NormalMode, DestroyMode, RefreshOnlyMode:
	default:
		return nil, fmt.Errorf("unknown mode %q", p.Mode)
	}
	var err error
	if p.Targets, err = parseInstances(fp.Targets); err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	if p.Replace, err = parseInstances(fp.Replace); err != nil {
		return nil, fmt.Errorf("replace: %w", err)
	}
	for _, r := range fp.Recovered {
		addr, err := addrs.ParseInstance(r.Address)
		if err != nil {
			return nil, fmt.Errorf("recovered: %w", err)
		}
		p.Recovered = append(p.Recovered, Recovery{Addr: addr, Deposed: r.Deposed, Action: r.Action, Outcome: r.Outcome, ID: r.ID})
	}
	if len(fp.Variables) > 0 {
		p.Variables = make(map[string]cty.Value, len(fp.Variables))
	}
	for name, fv := range fp.Variables {
		v, red, err := decodeValue(fv)
		if err != nil {
			return nil, fmt.Errorf("variable %q: %w", name, err)
		}
		p.Variables[name] = v
		if len(red) > 0 {
			if p.VariablesRedacted == nil {
				p.VariablesRedacted = map[string][]Redaction{}
			}
			p.VariablesRedacted[name] = red
		}
	}
	// A plan has one change per object (and per deposed object), one
	// drift per object and one change per output: apply matches them by
	// those keys, so a second one can only be an edit.
	if p.Changes, err = decodeChanges(fp.Changes); err != nil {
		return nil, err
	}
	if p.Drift, err = decodeChanges(fp.Drift); err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	names := map[string]bool{}
	for _, fo := range fp.Outputs {
		if names[fo.Name] {
			return nil, fmt.Errorf("two changes of output %q", fo.Name)
		}
		names[fo.Name] = true
		o := &OutputChange{Name: fo.Name, Action: fo.Action, Sensitive: fo.Sensitive}
		if o.Before, o.BeforeRedacted, err = decodeValue(fo.Before); err != nil {
			return nil, fmt.Errorf("output %q: before: %w", fo.Name, err)
		}
		if o.After, o.AfterRedacted, err = decodeValue(fo.After); err != nil {
			return nil, fmt.Errorf("output %q: after: %w", fo.Name, err)
		}
		if err := checkAction(o.Action); err != nil {
			return nil, fmt.Errorf("output %q: %w", fo.Name, err)
		}
		p.Outputs = append(p.Outputs, o)
	}
	return p, nil
}

func decodeChanges(fcs []*fileChange) ([]*ResourceChange, error) {
	var out []*ResourceChange
	seen := map[string]bool{}
	for _, fc := range fcs {
		c, err := decodeChange(fc)
		if err != nil {
			return nil, err
		}
		if seen[c.ChangeKey()] {
			return nil, fmt.Errorf("two changes of %s", c.ChangeKey())
		}
		seen[c.ChangeKey()] = true
		out = append(out, c)
	}
	return out, nil
}

func checkAction(a Action) error {
	switch a {
	case NoOp, Create, Read, Update, DeleteThenCreate, CreateThenDelete, Delete:
		return nil
	}
	return fmt.Errorf("unknown action %q", a)
}

func parseInstances(ss []string) ([]addrs.Instance, error) {
	var out []addrs.Instance
	for _, s := range ss {
		a, err := addrs.ParseInstance(s)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func decodeChange(fc *fileChange) (*ResourceChange, error) {
	addr, err := addrs.ParseInstance(fc.Address)
	if err != nil {
		return nil, err
	}
	if err := checkAction(fc.Action); err != nil {
		return nil, fmt.Errorf("%s: %w", fc.Address, err)
	}
	c := &ResourceChange{
		Addr:     addr,
		Provider: fc.Provider,
		Action:   fc.Action,
		Reason:   fc.Reason,
		Deposed:  fc.Deposed,
		Private:  fc.Private,
	}
	if c.Before, c.BeforeRedacted, err = decodeValue(fc.Before); err != nil {
		return nil, fmt.Errorf("%s: before: %w", fc.Address, err)
	}
	if c.After, c.AfterRedacted, err = decodeValue(fc.After); err != nil {
		return nil, fmt.Errorf("%s: after: %w", fc.Address, err)
	}
	for _, fpath := range fc.RequiresReplace {
		path, err := statefile.UnmarshalPath(fpath)
		if err != nil {
			return nil, fmt.Errorf("%s: requires_replace: %w", fc.Address, err)
		}
		c.RequiresReplace = append(c.RequiresReplace, path)
	}
	if fr := fc.Rollout; fr != nil {
		r := &providers.Rollout{AutoRevert: fr.AutoRevert, MaxUnavailable: fr.MaxUnavailable}
		if fc := fr.Canary; fc != nil {
			r.Canary = &providers.Canary{Instances: fc.Instances, Weight: fc.Weight}
		}
		if r.MinHealthy, err = parseFileDuration(fr.MinHealthy); err != nil {
			return nil, fmt.Errorf("%s: rollout: min_healthy: %w", fc.Address, err)
		}
		if r.HealthyDeadline, err = parseFileDuration(fr.HealthyDeadline); err != nil {
			return nil, fmt.Errorf("%s: rollout: healthy_deadline: %w", fc.Address, err)
		}
		for _, w := range fr.Waves {
			var pw providers.Wave
			for _, in := range w.Instances {
				pw.Instances = append(pw.Instances, providers.WaveInstance(in))
			}
			r.Waves = append(r.Waves, pw)
		}
		c.Rollout = r
	}
	switch fc.Canary {
	case CanaryNone, CanaryStart, CanaryPromote, CanaryAbort, CanaryReplan:
		c.Canary = fc.Canary
	default:
		return nil, fmt.Errorf("%s: unknown canary part %q", fc.Address, fc.Canary)
	}
	for _, r := range fc.Routers {
		a, err := addrs.ParseInstance(r)
		if err != nil {
			return nil, fmt.Errorf("%s: routers: %w", fc.Address, err)
		}
		c.Routers = append(c.Routers, a)
	}
	for _, d := range fc.Dependencies {
		a, err := addrs.ParseResource(d)
		if err != nil {
			return nil, fmt.Errorf("%s: dependencies: %w", fc.Address, err)
		}
		c.Dependencies = append(c.Dependencies, a)
	}
	return c, nil
}

func decodeValue(fv *fileValue) (cty.Value, []Redaction, error) {
	if fv == nil {
		return cty.NilVal, nil, nil
	}
	ty, err := ctyjson.UnmarshalType(fv.Type)
	if err != nil {
		return cty.NilVal, nil, fmt.Errorf("type: %w", err)
	}
	v, err := msgpack.Unmarshal(fv.Msgpack, ty)
	if err != nil {
		return cty.NilVal, nil, fmt.Errorf("value: %w", err)
	}
	var red []Redaction
	var pvms []cty.PathValueMarks
	for _, fr := range fv.Redacted {
		path, err := statefile.UnmarshalPath(fr.Path)
		if err != nil {
			return cty.NilVal, nil, fmt.Errorf("redacted: %w", err)
		}
		if _, err := path.Apply(v); err != nil {
			return cty.NilVal, nil, fmt.Errorf("redacted path %s: %w", FormatPath(path), err)
		}
		red = append(red, Redaction{Path: path, Digest: fr.Digest})
		pvms = append(pvms, cty.PathValueMarks{Path: path, Marks: cty.NewValueMarks(providers.SensitiveMark)})
	}
	if len(pvms) > 0 {
		v = v.MarkWithPaths(pvms)
	}
	return v, red, nil
}

// fileDuration writes a duration of a rollout as configuration does
// ("10s", "5m"); zero (not set) is absent.
func fileDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return app.FormatDuration(d)
}

func parseFileDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}
