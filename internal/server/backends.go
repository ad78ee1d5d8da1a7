package server

import (
	"fmt"
	"io"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hesgql/hesgql/db"
)

// backendCollector exports the state of the primary and of each read
// replica, read when /metrics is scraped.
type backendCollector struct {
	d                       *db.DB
	up, lag, release, reads *prometheus.Desc
}

func newBackendCollector(d *db.DB) *backendCollector {
	labels := []string{"backend", "addr"}
	return &backendCollector{
		d:       d,
		up:      prometheus.NewDesc("hesgql_db_backend_in_rotation", "1 while the database server serves reads (the primary always), 0 while a replica is out of rotation.", labels, nil),
		lag:     prometheus.NewDesc("hesgql_db_replica_lag_seconds", "Seconds_Behind_Master of a replica at its last check; -1 when unknown.", labels, nil),
		release: prometheus.NewDesc("hesgql_db_backend_data_release", "Latest data release id applied on the database server.", labels, nil),
		reads:   prometheus.NewDesc("hesgql_db_backend_reads_total", "Connections taken from the database server for reads.", labels, nil),
	}
}

func (c *backendCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.lag
	ch <- c.release
	ch <- c.reads
}

func (c *backendCollector) Collect(ch chan<- prometheus.Metric) {
	for _, b := range c.d.Backends() {
		up := 0.0
		if b.InRotation {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, b.Name, b.Addr)
		if b.Name != "primary" {
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, b.Lag.Seconds(), b.Name, b.Addr)
		}
		ch <- prometheus.MustNewConstMetric(c.release, prometheus.GaugeValue, float64(b.Release), b.Name, b.Addr)
		ch <- prometheus.MustNewConstMetric(c.reads, prometheus.CounterValue, float64(b.Reads), b.Name, b.Addr)
	}
}

// writeBackends lists the database servers on /readyz when there are
// replicas: one line each, with state, lag and release.
func writeBackends(w io.Writer, d *db.DB) {
	bs := d.Backends()
	if len(bs) < 2 {
		return
	}
	for _, b := range bs {
		switch {
		case b.Name == "primary":
			fmt.Fprintf(w, "%s %s in-rotation release=%d\n", b.Name, b.Addr, b.Release)
		case b.InRotation:
			fmt.Fprintf(w, "%s %s in-rotation lag=%s release=%d\n", b.Name, b.Addr, b.Lag, b.Release)
		default:
			fmt.Fprintf(w, "%s %s out-of-rotation lag=%s release=%d reason=%q\n", b.Name, b.Addr, b.Lag, b.Release, b.Reason)
		}
	}
}
