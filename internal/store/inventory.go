package store

import (
	"context"
	"time"
)

// Host is one machine of the inventory that a runtime driver offers: it holds at most one
// server at a time.
type Host struct {
	ID              string
	Driver          string
	ServerModelName string
	ServerIP        string
	PublicIP        string
	ServerID        string // empty while the host is free
	CreatedAt       time.Time
}

// HostsUpsertParams registers the hosts a driver offers; known hosts keep their allocation.
type HostsUpsertParams struct {
	Hosts []Host
}

// HostAllocateParams takes a free host of a server model for a server.
type HostAllocateParams struct {
	ServerModelName string
	ServerID        string
}

// HostReleaseParams frees the host a server holds.
type HostReleaseParams struct {
	ServerID string
}

// PortAllocation is one host port handed out for a phone's access entry.
type PortAllocation struct {
	HostID  string
	Port    int
	PhoneID string
	Name    string // adb, or the purchase's port name
}

// PortAllocateParams hands out the lowest free host port in [Min, Max] on a host.
type PortAllocateParams struct {
	HostID  string
	PhoneID string
	Name    string
	Min     int
	Max     int
}

// Inventory tracks hosts and the host ports handed out on them.
type Inventory interface {
	HostsUpsert(ctx context.Context, p *HostsUpsertParams) error
	// HostAllocate returns ErrNotFound when no host of the model is free.
	HostAllocate(ctx context.Context, p *HostAllocateParams) (*Host, error)
	HostGetByServer(ctx context.Context, serverID string) (*Host, error)
	HostRelease(ctx context.Context, p *HostReleaseParams) error
	// PortAllocate returns ErrConflict when the range is exhausted.
	PortAllocate(ctx context.Context, p *PortAllocateParams) (*PortAllocation, error)
	PortListByPhones(ctx context.Context, phoneIDs []string) ([]PortAllocation, error)
}
