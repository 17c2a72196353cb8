package cloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Provider is a cloud that runs VMs ("servers") for Kumo. Every call names
// the region it acts in. Implementations must be safe for concurrent use.
type Provider interface {
	// CreateServer boots a VM. Callers make creation idempotent by tagging
	// the server with the owning object's UID and listing by tag first.
	CreateServer(ctx context.Context, region string, req CreateRequest) (*Server, error)
	// DeleteServer removes a VM. Deleting a server that does not exist is not an error.
	DeleteServer(ctx context.Context, region, id string) error
	// GetServer returns one VM, or an error satisfying IsNotFound.
	GetServer(ctx context.Context, region, id string) (*Server, error)
	// ListServers returns the VMs that carry every given tag (all VMs for nil).
	ListServers(ctx context.Context, region string, tags map[string]string) ([]Server, error)
	// Capacity reports what the region has and what is allocated.
	Capacity(ctx context.Context, region string) (*Capacity, error)
	// Flavors lists the VM sizes the region offers.
	Flavors(ctx context.Context, region string) ([]Flavor, error)
}

// CreateRequest describes a VM to boot.
type CreateRequest struct {
	// Name is the server's display name; it need not be unique.
	Name string
	// Flavor is the VM size, e.g. "m1.medium".
	Flavor string
	// Tags are key/value metadata; ListServers filters on them.
	Tags map[string]string
	// SpreadKey groups servers that should land on different hypervisors
	// (anti-affinity), e.g. a cluster's UID.
	SpreadKey string
}

// ServerStatus is the lifecycle state of a VM.
type ServerStatus string

const (
	ServerBuilding ServerStatus = "BUILD"
	ServerActive   ServerStatus = "ACTIVE"
	ServerError    ServerStatus = "ERROR"
)

// Server is a VM.
type Server struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Region     string            `json:"region"`
	Flavor     string            `json:"flavor"`
	VCPUs      int32             `json:"vcpus"`
	MemoryMiB  int64             `json:"memoryMiB"`
	Hypervisor string            `json:"hypervisor"`
	Address    string            `json:"address"`
	Status     ServerStatus      `json:"status"`
	Tags       map[string]string `json:"tags,omitempty"`
	Created    time.Time         `json:"created"`
}

// Capacity is a region's size and use.
type Capacity struct {
	Hypervisors int32
	// VCPUs is sellable vCPUs: physical cores times the overcommit ratio.
	VCPUs         int64
	UsedVCPUs     int64
	MemoryMiB     int64
	UsedMemoryMiB int64
	Servers       int32
}

// Hypervisor is one host of a region and what is placed on it.
type Hypervisor struct {
	Name  string
	Cores int32
	// VCPUs is sellable vCPUs: Cores times the region's overcommit ratio.
	VCPUs              int32
	AllocatedVCPUs     int32
	MemoryMiB          int64
	AllocatedMemoryMiB int64
	Servers            int32
}

// HypervisorLister is implemented by providers that can list a region's
// hypervisors (an operator's API: OpenStack's os-hypervisors). Exporters
// read it; controllers do not need it.
type HypervisorLister interface {
	ListHypervisors(ctx context.Context, region string) ([]Hypervisor, error)
}

// NodeExporterPort is where node_exporter listens on a VM. Prometheus
// labels what it scrapes there instance="<address>:9100", and Kumo's
// exporters name a VM's node the same way, so that one query joins them.
const NodeExporterPort = 9100

// NodeExporterInstance is the instance label of the node_exporter of the
// VM at address.
func NodeExporterInstance(address string) string {
	return net.JoinHostPort(address, strconv.Itoa(NodeExporterPort))
}

// Flavor is a VM size.
type Flavor struct {
	Name      string
	VCPUs     int32
	MemoryMiB int64
}

var (
	// ErrNotFound: the server (or region) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrCapacity: no hypervisor in the region has room for the server.
	ErrCapacity = errors.New("insufficient capacity")
	// ErrInvalidFlavor: the region offers no flavor of that name.
	ErrInvalidFlavor = errors.New("unknown flavor")
	// ErrRateLimited: the cloud refused the call because too many came too
	// fast (OpenStack's 429); nothing changed. RetryAfter tells how long the
	// cloud asked callers to wait.
	ErrRateLimited = errors.New("rate limited")
)

// IsNotFound reports whether err means the server or region does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IgnoreNotFound returns nil for a not-found error and err otherwise.
func IgnoreNotFound(err error) error {
	if IsNotFound(err) {
		return nil
	}
	return err
}

// IsCapacity reports whether err means the region is full.
func IsCapacity(err error) bool { return errors.Is(err, ErrCapacity) }

// IsInvalidFlavor reports whether err means an unknown flavor.
func IsInvalidFlavor(err error) bool { return errors.Is(err, ErrInvalidFlavor) }

// IsRateLimited reports whether err means the cloud refused a call that came too fast.
func IsRateLimited(err error) bool { return errors.Is(err, ErrRateLimited) }

// WithRetryAfter adds to err how long the cloud asked callers to wait
// before they try again, as OpenStack's Retry-After header does.
func WithRetryAfter(err error, after time.Duration) error {
	return &retryAfterError{err: err, after: after}
}

// RetryAfter returns how long err asks callers to wait before they try
// again (WithRetryAfter), or 0 if it does not say.
func RetryAfter(err error) time.Duration {
	var ra *retryAfterError
	if errors.As(err, &ra) {
		return ra.after
	}
	return 0
}

type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// ProviderID builds the Kubernetes providerID of a server.
func ProviderID(provider, region, id string) string {
	return fmt.Sprintf("%s://%s/%s", provider, region, id)
}
