// Package registry resolves image references to digests through a
// registry's HTTP API (the Docker Registry HTTP API V2, as
// go-containerregistry speaks it), so that every host runs exactly the
// planned image, and encodes the registry's credentials for the engines
// that pull from it.
package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/api/pkg/authconfig"
	registrytypes "github.com/moby/moby/api/types/registry"

	"github.com/berth-sh/berth/platform/app"
)

// Registry is a `registry` block: where images live and the credentials
// berth and the hosts use to read them.
type Registry struct {
	// Address is the registry's host[:port], e.g. "harbor.example.com" or
	// "127.0.0.1:5000".
	Address  string
	Username string
	Password string
	// Insecure allows plain HTTP to a registry that is not on loopback
	// (loopback registries are reached over HTTP anyway, as dockerd does).
	Insecure bool
}

// Of is the registry of an app's image: its registry block's address and
// credentials, or anonymous access when no configured registry serves it.
func Of(spec *app.Spec) Registry {
	if r := spec.Registry; r != nil {
		return Registry{Address: r.Address, Username: r.Username, Password: r.Password}
	}
	return Registry{}
}

// ResolvedImage is an image reference and the digest it pointed to.
type ResolvedImage struct {
	// Reference is the reference as written, e.g. "127.0.0.1:5000/shop/web:v1".
	Reference string
	// Repository is the reference without tag or digest.
	Repository string
	// Digest is the manifest's digest, e.g. "sha256:2b99...".
	Digest string
	// MediaType of the manifest (an image manifest or an index).
	MediaType string
}

// Pinned is the reference hosts pull: repository@digest, so a host runs
// exactly the planned image even if the tag moves meanwhile.
func (r ResolvedImage) Pinned() string { return r.Repository + "@" + r.Digest }

// RegistryError is a failed resolution; its message names the registry and
// the reference, and carries the registry's own message.
type RegistryError struct {
	Registry  string
	Reference string
	// Status is the HTTP status of the registry's answer, 0 when there was none.
	Status int
	Err    error
}

func (e *RegistryError) Error() string {
	return fmt.Sprintf("registry %s: %s: %v", e.Registry, e.Reference, e.Err)
}

func (e *RegistryError) Unwrap() error { return e.Err }

// NotFound reports that the repository or tag does not exist.
func (e *RegistryError) NotFound() bool { return e.Status == http.StatusNotFound }

// Unauthorized reports that the registry refused the credentials.
func (e *RegistryError) Unauthorized() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// Resolve asks the registry which digest ref points to now. ref must name
// reg's address (the app's image is matched to its registry by the caller);
// a reference that already carries a digest is checked to exist.
func (reg Registry) Resolve(ctx context.Context, ref string) (ResolvedImage, error) {
	fail := func(status int, err error) (ResolvedImage, error) {
		return ResolvedImage{}, &RegistryError{Registry: reg.Address, Reference: ref, Status: status, Err: err}
	}
	var opts []name.Option
	if reg.Insecure {
		opts = append(opts, name.Insecure)
	}
	parsed, err := name.ParseReference(ref, append(opts, name.StrictValidation)...)
	if err != nil {
		// StrictValidation rejects a reference without tag or digest; the
		// tag is then "latest", as for docker pull.
		parsed, err = name.ParseReference(ref, opts...)
		if err != nil {
			return fail(0, err)
		}
	}
	if got := parsed.Context().RegistryStr(); reg.Address != "" && got != reg.Address {
		return fail(0, fmt.Errorf("the reference is on registry %s, not %s", got, reg.Address))
	}
	var auth authn.Authenticator = authn.Anonymous
	if reg.Username != "" || reg.Password != "" {
		auth = &authn.Basic{Username: reg.Username, Password: reg.Password}
	}
	// GET rather than HEAD: a failed GET carries the registry's error body
	// ("MANIFEST_UNKNOWN", "UNAUTHORIZED: authentication required"), which
	// the user needs; the manifest is small.
	desc, err := remote.Get(parsed, remote.WithContext(ctx), remote.WithAuth(auth), remote.WithUserAgent("berth"))
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) {
			return fail(terr.StatusCode, errors.New(registryMessage(terr)))
		}
		if ctx.Err() != nil {
			return fail(0, ctx.Err())
		}
		return fail(0, err)
	}
	return ResolvedImage{
		Reference:  ref,
		Repository: parsed.Context().Name(),
		Digest:     desc.Digest.String(),
		MediaType:  string(desc.MediaType),
	}, nil
}

// registryMessage is the registry's own words, without the request line
// go-containerregistry prefixes (it holds the URL, which the caller names
// better).
func registryMessage(e *transport.Error) string {
	if len(e.Errors) == 0 {
		return fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	msgs := make([]string, len(e.Errors))
	for i, d := range e.Errors {
		// Code and message; the detail is the registry's internal map.
		msgs[i] = fmt.Sprintf("%s: %s", d.Code, d.Message)
	}
	return strings.Join(msgs, "; ")
}

// PullAuth is the X-Registry-Auth value with which a host pulls from reg:
// the engine's base64url-encoded JSON auth config.
func (reg Registry) PullAuth() (string, error) {
	if reg.Username == "" && reg.Password == "" {
		return "", nil
	}
	return authconfig.Encode(registrytypes.AuthConfig{
		Username:      reg.Username,
		Password:      reg.Password,
		ServerAddress: reg.Address,
	})
}
