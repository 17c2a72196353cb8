// Package region is the Region controller: it configures simulated regions
// in the sim cloud and reports every region's capacity in its status.
package region
