package store

import (
	"context"
	"time"
)

// Phone statuses of section 5.3.1.
const (
	PhoneCreating      = 1
	PhoneRunning       = 2
	PhoneResetting     = 3
	PhoneRestarting    = 4
	PhoneFrozen        = 6
	PhoneStopping      = 7
	PhoneStopped       = 8
	PhoneAbnormal      = -7
	PhoneCreateFailed  = -8
	PhoneResetFailed   = -5
	PhoneRestartFailed = -6
	PhoneStopFailed    = -9
)

// Phone is one cloud phone on a server.
type Phone struct {
	ID             string
	ProjectID      string
	ServerID       string
	Name           string
	PhoneModelName string
	ImageID        string
	Status         int
	Type           int
	IMEI           string
	TrafficType    string
	VolumeMode     int
	VolumeType     string
	VolumeSize     int
	Property       string // the applied property set, as the JSON string the API shows
	PhoneIP        string
	Index          int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// PhoneListParams filters the phones of one project (section 5.3.1).
type PhoneListParams struct {
	ProjectID    string
	NameContains string
	ServerID     string
	Status       *int
	Type         *int
	Page         Page
}

// PhoneUpdateParams changes the fields that are set.
type PhoneUpdateParams struct {
	ProjectID string
	ID        string
	Name      *string
	Status    *int
	ImageID   *string
	Property  *string
	PhoneIP   *string
	// TrafficType is the phone's traffic route, direct or routing (5.3.13).
	TrafficType *string
	// VolumeSize is the phone's data volume in GiB after an expansion (5.3.14).
	VolumeSize *int
}

// Phones persists phones.
type Phones interface {
	PhoneInsert(ctx context.Context, p *Phone) error
	PhoneGet(ctx context.Context, projectID, id string) (*Phone, error)
	// PhoneList returns one page, newest first, and the total before paging.
	PhoneList(ctx context.Context, p *PhoneListParams) ([]Phone, int, error)
	PhoneUpdate(ctx context.Context, p *PhoneUpdateParams) error
}
