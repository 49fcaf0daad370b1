package install

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/berth-sh/berth/providers/builtin"
)

// BuiltinNamespace is the reserved namespace of the providers compiled into
// the berth binary: "berth/docker" and "docker" name the same provider.
const BuiltinNamespace = "berth"

// Source is a provider's source address. Both parts are lower case; for a
// built-in provider Namespace is BuiltinNamespace.
type Source struct {
	Namespace string
	Name      string
}

// nameRe is what a namespace or name may look like: it becomes a directory
// name and part of a file name, so nothing that could escape a directory.
var nameRe = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$`)

// ParseSource parses "namespace/name" or a bare built-in name. Letters are
// folded to lower case, as Terraform does, so "Acme/DNS" and "acme/dns" are
// one provider and map to one directory.
func ParseSource(s string) (Source, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "/")
	var src Source
	switch len(parts) {
	case 1:
		src = Source{Namespace: BuiltinNamespace, Name: parts[0]}
	case 2:
		src = Source{Namespace: parts[0], Name: parts[1]}
	default:
		return Source{}, fmt.Errorf("invalid provider source %q: must be \"namespace/name\" (e.g. \"acme/dns\"), or the name of a built-in provider (%s)", s, strings.Join(builtin.Names(), ", "))
	}
	for _, p := range []string{src.Namespace, src.Name} {
		if !nameRe.MatchString(p) {
			return Source{}, fmt.Errorf("invalid provider source %q: namespace and name must be lower-case letters, digits, '-' or '_', starting and ending with a letter or digit", s)
		}
	}
	if src.IsBuiltin() && !slices.Contains(builtin.Names(), src.Name) {
		return Source{}, fmt.Errorf("unknown built-in provider %q: the built-in providers are %s; a third-party provider's source is \"namespace/name\"", src.Name, strings.Join(builtin.Names(), ", "))
	}
	return src, nil
}

// IsBuiltin reports whether s names a provider compiled into berth.
func (s Source) IsBuiltin() bool { return s.Namespace == BuiltinNamespace }

// String returns the canonical form: "acme/dns", or just "docker" for a
// built-in provider.
func (s Source) String() string {
	if s.IsBuiltin() {
		return s.Name
	}
	return s.Namespace + "/" + s.Name
}

// Compare orders sources by namespace, then name, for deterministic output.
func (s Source) Compare(o Source) int {
	if c := strings.Compare(s.Namespace, o.Namespace); c != 0 {
		return c
	}
	return strings.Compare(s.Name, o.Name)
}

// BinaryName is the file name of the provider's plugin executable.
func (s Source) BinaryName() string {
	return "berth-provider-" + s.Name + exeSuffix
}
