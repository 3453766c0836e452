package store

import (
	"context"
	"time"
)

// Server statuses of section 5.1.1.
const (
	ServerCreating   = 0 // also 1, 3 and 4 in the reference
	ServerChanging   = 1 // a creating status, kept for a server being switched (5.1.6)
	ServerAbnormal   = 2
	ServerRunning    = 5
	ServerFrozen     = 8
	ServerShutdown   = 10
	ServerStopping   = 11
	ServerStopFailed = 12
	ServerStarting   = 13
)

// Port is an application port a purchase asks to forward to every phone.
type Port struct {
	Name               string `json:"name"`
	ListenPort         int    `json:"listen_port"`
	InternetAccessible bool   `json:"internet_accessible"`
}

// Server is a cloud phone server: one host holding the phones of one phone model.
type Server struct {
	ID                  string
	ProjectID           string
	Name                string
	ServerModelName     string
	PhoneModelName      string
	ImageID             string
	KeypairName         string
	Status              int
	AvailabilityZone    string
	VPCID               string
	VPCCIDR             string
	SubnetID            string
	SubnetCIDR          string
	NetworkVersion      string
	EnterpriseProjectID string
	OrderID             string
	ProductID           string
	ChargingMode        int
	HostID              string
	BandwidthID         string
	Ports               []Port
	PhoneVolumeType     string
	PhoneVolumeSize     int
	ShareVolumeType     string
	ShareVolumeSize     int
	EncodeServerID      string
	EncodeServerStatus  int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// ServerListParams filters the servers of one project (section 5.1.1).
type ServerListParams struct {
	ProjectID      string
	NameContains   string
	ServerID       string
	NetworkVersion string
	PhoneModelName string
	CreatedSince   *time.Time
	CreatedUntil   *time.Time
	Status         *int
	// BandwidthID selects the servers that use one bandwidth, to apply its resize (5.2.2).
	BandwidthID string
	Page        Page
}

// ServerUpdateParams changes the fields that are set.
type ServerUpdateParams struct {
	ProjectID   string
	ID          string
	Name        *string
	Status      *int
	KeypairName *string
	// The fields below change with a server switch (5.1.6) or a model change (5.1.12).
	ServerModelName     *string
	PhoneModelName      *string
	ImageID             *string
	VPCID               *string
	SubnetID            *string
	EnterpriseProjectID *string
	OrderID             *string
	ProductID           *string
	BandwidthID         *string
	Ports               *[]Port
	PhoneVolumeType     *string
	PhoneVolumeSize     *int
	ShareVolumeType     *string
	ShareVolumeSize     *int
	EncodeServerStatus  *int
}

// ServerPhonesUpdateParams changes the set fields on every phone of a server at once.
type ServerPhonesUpdateParams struct {
	ProjectID      string
	ServerID       string
	PhoneModelName *string
}

// Bandwidth is a server's bandwidth (section 5.2).
type Bandwidth struct {
	ID         string
	ProjectID  string
	Name       string
	Size       int
	ChargeMode int
	ShareType  int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// BandwidthListParams pages a project's bandwidths.
type BandwidthListParams struct {
	ProjectID string
	Page      Page
}

// Servers persists servers and their bandwidths.
type Servers interface {
	ServerInsert(ctx context.Context, s *Server) error
	ServerGet(ctx context.Context, projectID, id string) (*Server, error)
	// ServerFind gets a server by id alone, for callers that learn the project from the server
	// (the SSH gateway, whose user names a server); API handlers use ServerGet.
	ServerFind(ctx context.Context, id string) (*Server, error)
	// ServerList returns one page, newest first, and the total before paging.
	ServerList(ctx context.Context, p *ServerListParams) ([]Server, int, error)
	ServerUpdate(ctx context.Context, p *ServerUpdateParams) error
	ServerCount(ctx context.Context, projectID string) (int, error)

	// BandwidthUpsert creates the bandwidth or, for a shared one that exists, leaves it as it is.
	BandwidthUpsert(ctx context.Context, b *Bandwidth) error
	BandwidthGet(ctx context.Context, projectID, id string) (*Bandwidth, error)
	BandwidthList(ctx context.Context, p *BandwidthListParams) ([]Bandwidth, int, error)
	BandwidthUpdateSize(ctx context.Context, projectID, id string, size int) error
	// BandwidthDelete removes a project's bandwidth; deleting one that is gone succeeds.
	BandwidthDelete(ctx context.Context, projectID, id string) error

	// ServerPhonesUpdate changes every phone of a server, as a model change does (5.1.12).
	ServerPhonesUpdate(ctx context.Context, p *ServerPhonesUpdateParams) error
	// ServerPhonesDelete removes every phone of a server with the host ports handed out for them,
	// as a server switch does (5.1.6), and returns how many phones it removed.
	ServerPhonesDelete(ctx context.Context, projectID, serverID string) (int, error)
}
