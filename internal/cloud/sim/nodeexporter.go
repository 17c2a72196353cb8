package sim

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/kumo-dev/kumo/internal/cloud"
)

// NodeExporterPath is where the manager serves NodeMetrics, beside /metrics.
const NodeExporterPath = "/metrics/nodes"

// NodeMetrics serves, for every VM of the cloud, what node_exporter serves
// of its CPU: node_cpu_seconds_total{cpu,instance,mode} for the modes user,
// system, idle and steal. One endpoint for all VMs, since 60,000 endpoints
// (and 60,000 scrape targets) would cost more than the VMs; the instance
// label names each VM's node as Prometheus names a real node_exporter
// ("<address>:9100", cloud.NodeExporterInstance), so Prometheus must scrape
// it with honor_labels: true.
//
// It writes the text format itself rather than through client_golang: a
// scrape of 60,000 VMs is half a million samples, which as const metrics
// would cost a few allocations each and a sort; written directly they cost
// a copy of each VM's counters (into a slice kept between scrapes) and the
// bytes of the text.
type NodeMetrics struct {
	Cloud *Cloud

	mu  sync.Mutex
	vms []VMCPU // the last scrape's, reused
}

var _ cloud.HypervisorLister = (*Cloud)(nil)

var modes = [...]string{"idle", "steal", "system", "user"}

// ServeHTTP writes the series in Prometheus' text format 0.0.4.
func (n *NodeMetrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_ = n.Write(w)
}

// Write writes the series to w.
func (n *NodeMetrics) Write(w io.Writer) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.vms = n.Cloud.VMCPUs(n.vms[:0])
	bw := bufio.NewWriterSize(w, 64<<10)
	_, _ = bw.WriteString("# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n# TYPE node_cpu_seconds_total counter\n")
	var line []byte
	for i := range n.vms {
		v := &n.vms[i]
		if v.VCPUs <= 0 {
			continue
		}
		// Every vCPU of a VM does the same: the VM's counters split evenly.
		per := 1 / float64(v.VCPUs)
		values := [len(modes)]float64{v.Idle * per, v.StealSeconds * per, v.System * per, v.User * per}
		for cpu := range v.VCPUs {
			for j, mode := range modes {
				line = append(line[:0], `node_cpu_seconds_total{cpu="`...)
				line = strconv.AppendInt(line, int64(cpu), 10)
				line = append(line, `",instance="`...)
				line = append(line, v.Address...)
				line = append(line, ':')
				line = strconv.AppendInt(line, cloud.NodeExporterPort, 10)
				line = append(line, `",mode="`...)
				line = append(line, mode...)
				line = append(line, `"} `...)
				line = strconv.AppendFloat(line, values[j], 'f', 3, 64)
				line = append(line, '\n')
				if _, err := bw.Write(line); err != nil {
					return err
				}
			}
		}
	}
	return bw.Flush()
}
