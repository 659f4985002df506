package drssim_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"

	"github.com/drsorch/drsorch/internal/drssim"
)

// bigSim has 5,000 servers and 1,000 completed jobs of five servers each.
func bigSim(b *testing.B) (*drssim.Sim, []string, []string) {
	b.Helper()
	sim := drssim.New(drssim.Options{Servers: 5000, Seed: 1})
	c := inProcess(sim)
	var ids []string
	for _, s := range sim.Servers() {
		ids = append(ids, s.ID)
	}
	var jobs []string
	for i := range 1000 {
		batch := ids[(i*5)%5000 : (i*5)%5000+5]
		out, err := c.StartRecovery(b.Context(), &drs.StartRecoveryInput{SourceServers: sources(batch...)})
		if err != nil {
			b.Fatalf("job %d: %v", i, err)
		}
		jobs = append(jobs, *out.Job.JobID)
		if i%20 == 19 {
			sim.Advance(time.Hour)
		}
	}
	sim.Advance(time.Hour)
	return sim, ids, jobs
}

// BenchmarkDescribeJobs describes 1,000 jobs by ID, one page, through the
// SDK over the in-process transport.
func BenchmarkDescribeJobs(b *testing.B) {
	sim, _, jobs := bigSim(b)
	c := inProcess(sim)
	in := &drs.DescribeJobsInput{
		Filters:    &types.DescribeJobsRequestFilters{JobIDs: jobs},
		MaxResults: aws.Int32(1000),
	}
	for b.Loop() {
		out, err := c.DescribeJobs(b.Context(), in)
		if err != nil || len(out.Items) != 1000 {
			b.Fatalf("describe jobs: %v, %d items", err, len(out.Items))
		}
	}
}

// BenchmarkDescribeJobsLoopback is BenchmarkDescribeJobs over 127.0.0.1.
func BenchmarkDescribeJobsLoopback(b *testing.B) {
	sim, _, jobs := bigSim(b)
	c, _ := start(b, sim)
	in := &drs.DescribeJobsInput{
		Filters:    &types.DescribeJobsRequestFilters{JobIDs: jobs},
		MaxResults: aws.Int32(1000),
	}
	for b.Loop() {
		if _, err := c.DescribeJobs(b.Context(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartRecovery starts a 100-server job per iteration, moving the
// clock on so the previous jobs complete (their completion is part of
// the cost).
func BenchmarkStartRecovery(b *testing.B) {
	sim, ids, _ := bigSim(b)
	c := inProcess(sim)
	i := 0
	for b.Loop() {
		batch := ids[(i*100)%5000 : (i*100)%5000+100]
		i++
		if _, err := c.StartRecovery(b.Context(), &drs.StartRecoveryInput{SourceServers: sources(batch...)}); err != nil {
			b.Fatal(err)
		}
		sim.Advance(time.Hour)
	}
}

// BenchmarkDescribeSourceServersPage reads one default page (100) of 5,000
// servers.
func BenchmarkDescribeSourceServersPage(b *testing.B) {
	sim := drssim.New(drssim.Options{Servers: 5000, Seed: 1})
	c := inProcess(sim)
	for b.Loop() {
		if _, err := c.DescribeSourceServers(b.Context(), &drs.DescribeSourceServersInput{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerDescribeSourceServersPage measures the emulator alone,
// without the SDK's decoding.
func BenchmarkHandlerDescribeSourceServersPage(b *testing.B) {
	sim := drssim.New(drssim.Options{Servers: 5000, Seed: 1})
	rt := sim.Transport()
	for b.Loop() {
		req := newPost(b, "/DescribeSourceServers", "{}")
		resp, err := rt.RoundTrip(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(err)
		}
	}
}

// BenchmarkNew builds a 5,000-server emulator: the inventory with its
// launch templates, source instances and their network interfaces.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		drssim.New(drssim.Options{Servers: 5000, Seed: 1})
	}
}
