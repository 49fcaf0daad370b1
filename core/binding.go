package core

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers/install"
	"github.com/hashicorp/hcl/v2"
)

// A saved plan is bound to the configuration files and the locked
// providers it was made with, besides the state (CheckPlanCurrent): apply
// refuses it when any of them moved on.

// configHash is the sha256 of the configuration files, sorted by name:
// each file's base name and contents, length-prefixed so that no two sets
// of files hash alike. A saved plan records it; apply refuses the plan
// when the files have changed since.
func configHash(dir string) (string, error) {
	names, err := lang.ConfigFiles(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	var n [8]byte
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return "", err
		}
		base := filepath.Base(name)
		binary.BigEndian.PutUint64(n[:], uint64(len(base)))
		h.Write(n[:])
		h.Write([]byte(base))
		binary.BigEndian.PutUint64(n[:], uint64(len(data)))
		h.Write(n[:])
		h.Write(data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// providerHashes are the locked checksums of berth.lock.hcl, by provider
// source; no lock file means no third-party providers (empty map).
func providerHashes(dir string) (map[string]string, hcl.Diagnostics) {
	path := filepath.Join(dir, install.LockFileName)
	out := map[string]string{}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	lock, diags := install.ReadLockFile(path)
	if diags.HasErrors() {
		return nil, diags
	}
	for _, p := range lock.Providers() {
		hs := slices.Clone(p.Hashes)
		slices.Sort(hs)
		out[p.Source.String()] = strings.Join(hs, ",")
	}
	return out, nil
}

// BindPlan records in p what apply checks before applying a saved plan:
// the configuration's hash and the locked provider checksums.
func BindPlan(dir string, p *plans.Plan) hcl.Diagnostics {
	h, err := configHash(dir)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot hash the configuration", Detail: err.Error()}}
	}
	ph, diags := providerHashes(dir)
	if diags.HasErrors() {
		return diags
	}
	p.ConfigHash, p.ProviderHashes = h, ph
	return nil
}

// CheckPlanBinding refuses a saved plan made from other configuration
// files or other locked providers than those in dir now.
func CheckPlanBinding(dir string, p *plans.Plan) hcl.Diagnostics {
	h, err := configHash(dir)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot hash the configuration", Detail: err.Error()}}
	}
	if h != p.ConfigHash {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Saved plan does not match the configuration",
			Detail: "the configuration changed since this plan was made. Run berth plan again."}}
	}
	ph, diags := providerHashes(dir)
	if diags.HasErrors() {
		return diags
	}
	var changed []string
	for src, sum := range p.ProviderHashes {
		if ph[src] != sum {
			changed = append(changed, src)
		}
	}
	for src := range ph {
		if _, ok := p.ProviderHashes[src]; !ok {
			changed = append(changed, src)
		}
	}
	if len(changed) > 0 {
		slices.Sort(changed)
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Saved plan does not match the locked providers",
			Detail: fmt.Sprintf("the locked checksums of %s changed since this plan was made (%s). Run berth plan again.",
				strings.Join(changed, ", "), install.LockFileName)}}
	}
	return nil
}
