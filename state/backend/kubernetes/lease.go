package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-sh/berth/state/backend"
)

// The lock is a coordination.k8s.io/v1 Lease, berth-lock-<w>-S: its
// holderIdentity is the lock's ID, its annotation annLockInfo the holder's
// LockInfo, and it lasts leaseDurationSeconds past its renewTime. The
// state manager renews it while berth holds it (RenewLock); a holder that
// died stops renewing, and the next Lock takes the Lease over once it
// expired. Every change of the Lease is an update at the resourceVersion
// read, so of two berths taking it at once one wins and the other gets a
// conflict, as in client-go's leader election.
//
// Expiry is judged by the clock of the berth that wants the lock against
// the renewTime the holder wrote with its own: clocks that disagree by
// more than a lease duration would let a live lock be taken (and then the
// holder's next renewal reports the lock lost, and its writes are still
// refused by the serial guard).

func (k *Kubernetes) leaseName() string { return leaseName(k.workspace, k.cfg.SecretSuffix) }

// LeaseDuration is how long the lock outlives its last renewal.
func (k *Kubernetes) LeaseDuration() time.Duration {
	if k.cfg.LeaseDuration > 0 {
		return k.cfg.LeaseDuration
	}
	return DefaultLeaseDuration
}

// leaseSeconds is LeaseDuration in whole seconds, as a Lease has it.
func (k *Kubernetes) leaseSeconds() int32 {
	return int32(max(1, (k.LeaseDuration()+time.Second-1)/time.Second))
}

// Lock creates the Lease, or takes over one that expired or was released.
func (k *Kubernetes) Lock(ctx context.Context, info backend.LockInfo) error {
	if info.ID == "" {
		return errors.New("locking the state: the lock has no ID")
	}
	raw, err := json.Marshal(info)
	if err != nil {
		return err
	}
	now := metav1.NewMicroTime(time.Now())
	lease, err := k.c.leases.Get(ctx, k.leaseName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		l := &coordv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name:        k.leaseName(),
				Labels:      labels(k.workspace, k.cfg.SecretSuffix, roleLock),
				Annotations: map[string]string{annWorkspace: k.workspace, annLockInfo: string(raw)},
			},
			Spec: coordv1.LeaseSpec{
				HolderIdentity:       &info.ID,
				LeaseDurationSeconds: ptr(k.leaseSeconds()),
				AcquireTime:          &now,
				RenewTime:            &now,
			},
		}
		_, err = k.c.leases.Create(ctx, l, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return k.heldError(ctx, nil)
		}
		if err != nil {
			return fmt.Errorf("locking the state %s: %w", k.lockLocation(), err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("locking the state %s: %w", k.lockLocation(), err)
	}
	if holder(lease) != "" && !expired(lease, now.Time) {
		return k.heldError(ctx, lease)
	}
	// Free or expired: take it over, at the version read.
	l := lease.DeepCopy()
	if l.Annotations == nil {
		l.Annotations = map[string]string{}
	}
	l.Annotations[annWorkspace] = k.workspace
	l.Annotations[annLockInfo] = string(raw)
	l.Spec.HolderIdentity = &info.ID
	l.Spec.LeaseDurationSeconds = ptr(k.leaseSeconds())
	l.Spec.AcquireTime, l.Spec.RenewTime = &now, &now
	l.Spec.LeaseTransitions = ptr(ptrValue(l.Spec.LeaseTransitions) + 1)
	_, err = k.c.leases.Update(ctx, l, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		return k.heldError(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("locking the state %s: %w", k.lockLocation(), err)
	}
	return nil
}

// lockLocation names the Lease in messages.
func (k *Kubernetes) lockLocation() string {
	return fmt.Sprintf("kubernetes %s, namespace %s, Lease %s", k.c.cluster, k.cfg.Namespace, k.leaseName())
}

func holder(l *coordv1.Lease) string { return ptrValue(l.Spec.HolderIdentity) }

// expiry is when l ends unless renewed; zero when it has no renewal time.
func expiry(l *coordv1.Lease) time.Time {
	if l.Spec.RenewTime == nil {
		return time.Time{}
	}
	return l.Spec.RenewTime.Add(time.Duration(ptrValue(l.Spec.LeaseDurationSeconds)) * time.Second)
}

func expired(l *coordv1.Lease, now time.Time) bool { return !expiry(l).After(now) }

// heldError is the *backend.LockError for a Lease someone else holds:
// lease as read, or nil to read it (after a lost race to take it).
func (k *Kubernetes) heldError(ctx context.Context, lease *coordv1.Lease) error {
	if lease == nil {
		var err error
		lease, err = k.c.leases.Get(ctx, k.leaseName(), metav1.GetOptions{})
		if err != nil {
			return &backend.LockError{Err: fmt.Errorf("the lock %s was taken by another berth, and reading it failed: %w", k.lockLocation(), err)}
		}
	}
	info, err := lockInfo(lease)
	if err != nil {
		return &backend.LockError{Err: fmt.Errorf("the lock %s is held with ID %s until %s, and its description cannot be read: %w",
			k.lockLocation(), holder(lease), expiry(lease).UTC().Format(time.RFC3339), err)}
	}
	return &backend.LockError{Info: info}
}

// lockInfo is the holder's description on lease, its ID and expiry from
// the Lease itself.
func lockInfo(lease *coordv1.Lease) (*backend.LockInfo, error) {
	var info backend.LockInfo
	if err := json.Unmarshal([]byte(lease.Annotations[annLockInfo]), &info); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", annLockInfo, err)
	}
	info.ID = holder(lease)
	info.Expires = expiry(lease).UTC()
	return &info, nil
}

// RenewLock moves the Lease's renewTime to now, provided it is still held
// with id; a *backend.LostLockError when it is not (taken over after it
// expired, or force-unlocked).
func (k *Kubernetes) RenewLock(ctx context.Context, id string) error {
	for {
		lease, err := k.c.leases.Get(ctx, k.leaseName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return &backend.LostLockError{ID: id}
		}
		if err != nil {
			return fmt.Errorf("renewing the lock %s: %w", k.lockLocation(), err)
		}
		if holder(lease) != id {
			lost := &backend.LostLockError{ID: id}
			lost.Holder, _ = lockInfo(lease)
			return lost
		}
		l := lease.DeepCopy()
		now := metav1.NewMicroTime(time.Now())
		l.Spec.RenewTime = &now
		_, err = k.c.leases.Update(ctx, l, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			continue // changed meanwhile: look again whose it is
		}
		if err != nil {
			return fmt.Errorf("renewing the lock %s: %w", k.lockLocation(), err)
		}
		return nil
	}
}

// Unlock deletes the Lease, provided it is held with id: at the version
// read, so a lock taken after this looked is never deleted. Only the ID
// is needed (berth force-unlock ID works on a Lease whose description is
// unreadable).
func (k *Kubernetes) Unlock(ctx context.Context, id string) error {
	for {
		lease, err := k.c.leases.Get(ctx, k.leaseName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && holder(lease) == "") {
			return fmt.Errorf("the state %s is not locked", k.Location())
		}
		if err != nil {
			return fmt.Errorf("unlocking the state %s: %w", k.lockLocation(), err)
		}
		if h := holder(lease); h != id {
			return fmt.Errorf("the state %s is locked with ID %s, not %s: nothing was unlocked", k.Location(), h, id)
		}
		err = k.c.leases.Delete(ctx, lease.Name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &lease.UID, ResourceVersion: &lease.ResourceVersion},
		})
		if apierrors.IsConflict(err) {
			continue // renewed meanwhile (a force-unlock of a live holder): look again whose it is
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("unlocking the state %s: %w", k.lockLocation(), err)
		}
		return nil
	}
}

func ptr[T any](v T) *T { return &v }

func ptrValue[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
