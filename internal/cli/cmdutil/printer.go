package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/yaml"
)

// Output formats accepted by -o.
const (
	OutputTable = "table"
	OutputWide  = "wide"
	OutputJSON  = "json"
	OutputYAML  = "yaml"
	OutputName  = "name"
)

// AddOutputFlag registers -o/--output with completion.
func AddOutputFlag(cmd *cobra.Command, target *string, formats ...string) {
	if len(formats) == 0 {
		formats = []string{OutputTable, OutputWide, OutputJSON, OutputYAML, OutputName}
	}
	cmd.Flags().StringVarP(target, "output", "o", OutputTable, "output format: "+strings.Join(formats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// ValidateOutput refuses an unknown -o value.
func ValidateOutput(format string, formats ...string) error {
	if len(formats) == 0 {
		formats = []string{OutputTable, OutputWide, OutputJSON, OutputYAML, OutputName}
	}
	for _, f := range formats {
		if f == format {
			return nil
		}
	}
	return UsageError("unknown output format %q; use one of %s", format, strings.Join(formats, ", "))
}

// PrintStructured writes v as JSON or YAML. Objects lose their
// managedFields, which only matter to the API server.
func PrintStructured(w io.Writer, format string, v any) error {
	stripManagedFields(v)
	switch format {
	case OutputJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case OutputYAML:
		data, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	return fmt.Errorf("format %q is not structured", format)
}

func stripManagedFields(v any) {
	switch o := v.(type) {
	case metav1.Object:
		o.SetManagedFields(nil)
	case *List:
		for _, item := range o.Items {
			stripManagedFields(item)
		}
	}
}

// List wraps several objects like kubectl's `-o json` does.
type List struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Items      []any  `json:"items"`
}

// NewList builds a v1 List of items.
func NewList[T any](items []T) *List {
	l := &List{APIVersion: "v1", Kind: "List", Items: []any{}}
	for i := range items {
		l.Items = append(l.Items, &items[i])
	}
	return l
}

// Table writes aligned columns.
type Table struct {
	w *tabwriter.Writer
}

// NewTable starts a table with a header row.
func NewTable(w io.Writer, headers ...string) *Table {
	t := &Table{w: tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)}
	t.Row(headers...)
	return t
}

// Row adds a row.
func (t *Table) Row(cells ...string) { _, _ = fmt.Fprintln(t.w, strings.Join(cells, "\t")) }

// Flush writes the table out.
func (t *Table) Flush() error { return t.w.Flush() }

// Age formats how long ago t was, like kubectl's AGE column.
func Age(now time.Time, t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// OrNone shows "<none>" for an empty cell.
func OrNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
