package engine

import (
	"context"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Pull makes the host pull image (repository@digest) with the registry's
// X-Registry-Auth value (registry.Registry.PullAuth), waiting until it is
// done.
func (h *Host) Pull(ctx context.Context, image, auth string) error {
	resp, err := h.api.ImagePull(ctx, image, client.ImagePullOptions{RegistryAuth: auth})
	if err != nil {
		return h.wrap("pulling "+image, err)
	}
	// Errors of a pull in progress arrive in the JSON stream, not as an
	// HTTP status; Wait reports them.
	if err := resp.Wait(ctx); err != nil {
		return h.wrap("pulling "+image, err)
	}
	return nil
}

// HasImage reports whether the host already holds image.
func (h *Host) HasImage(ctx context.Context, image string) (bool, error) {
	_, err := h.api.ImageInspect(ctx, image)
	if cerrdefs.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, h.wrap("inspecting image "+image, err)
	}
	return true, nil
}
