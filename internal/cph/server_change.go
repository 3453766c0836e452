package cph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/store"
)

// serverChangeJob is the payload of a switch's job: the server and the phones it had, which the
// runtime still runs until the job removes them.
type serverChangeJob struct {
	ServerID        string   `json:"server_id"`
	RemovedPhoneIDs []string `json:"removed_phone_ids"`
}

// validateServerChange checks a switch request (5.1.6) for srv in the order of table 5-43. Its
// fields are a purchase's and follow the purchase's rules and codes (ValidatePurchase), with what
// a switch keeps taken from srv: the phone model must run on srv's server model (CPS.0028), only
// one server is concerned (public_ip), and the availability zone, which the SDK may send, must be
// srv's own (CPS.0211) because a switched server stays where it is.
func validateServerChange(req *api.ChangeServerRequest, srv *store.Server, cat *Catalog, images ImageLookup) (api.PhoneModel, error) {
	pm, err := validatePhoneModel(req.PhoneModelName, srv.ServerModelName, cat)
	if err != nil {
		return pm, err
	}
	if err := validateImage(req.ImageID, pm, images); err != nil {
		return pm, err
	}
	if err := validateKeypairName(req.KeypairName); err != nil {
		return pm, err
	}
	if err := validatePorts(req.Ports); err != nil {
		return pm, err
	}
	if ep := req.ExtendParam; ep != nil {
		if err := validateEnterpriseProject(ep.EnterpriseProjectID); err != nil {
			return pm, err
		}
	}
	if err := validateNetwork(req.TenantVpcID, req.Nics); err != nil {
		return pm, err
	}
	if err := validatePublicIP(req.PublicIP, 1, phoneIPCount(pm, req.PhoneCountPerIP)); err != nil {
		return pm, err
	}
	if err := validatePhoneCountPerIP(pm, req.PhoneCountPerIP); err != nil {
		return pm, err
	}
	if err := validateVolumes(pm, req.PhoneDataVolume, req.ServerShareDataVolume); err != nil {
		return pm, err
	}
	if err := validateBandWidth(req.BandWidth); err != nil {
		return pm, err
	}
	if az := req.AvailabilityZone; az != nil && *az != "" && *az != srv.AvailabilityZone {
		return pm, CPS0211.Errf("a switched server stays in %s", srv.AvailabilityZone)
	}
	return pm, nil
}

// ChangeServer switches a server (5.1.6): it keeps its id, name, availability zone, host, order
// and billing, and gets new phones of the request's phone model booted from its image; the old
// phones are removed with their data.
//
// The new phones are new resources, as the reference says phones are re-created: new ids, new
// IMEIs, names numbered from -0001 again, and host ports handed out anew (the old phones' ports
// are freed in the same transaction). The request describes the switched server the way a
// purchase describes a new one: its ports, volumes, network, bandwidth and properties replace
// the old ones, and an absent list means none; an absent or empty keypair_name keeps the server's
// keypair, and an absent extend_param keeps its enterprise project.
//
// Everything is checked first; then one transaction removes the old phone rows, records the new
// server and phones (server status 1, phones 1) and queues the job, which removes the old phones
// from the runtime and creates the new ones; the server ends 5, or 2 when a phone failed. A server
// that is not running or abnormal is CPS.1102; one whose phones are in another operation CPS.0349.
func (s *Service) ChangeServer(ctx context.Context, projectID, requestID, serverID string, req *api.ChangeServerRequest) (*api.ChangeServerResponse, error) {
	srv, err := s.st.ServerGet(ctx, projectID, serverID)
	if err != nil {
		return nil, notFound(err, CPS0015)
	}
	images := func(id string) (Image, error) { return s.imageFor(ctx, projectID, id) }
	pm, err := validateServerChange(req, srv, s.cat, images)
	if err != nil {
		return nil, err
	}
	if err := s.checkKeypair(ctx, projectID, req.KeypairName); err != nil {
		return nil, err
	}
	props, err := parseProperties(req.Property)
	if err != nil {
		return nil, err
	}
	resp := &api.ChangeServerResponse{RequestID: requestID, ServerID: serverID}
	now := time.Now().UTC()
	err = s.st.InTx(ctx, func(tx store.Store) error {
		// Again where it commits: the image may have gone since validation.
		if _, err := s.imageIn(ctx, tx, projectID, req.ImageID); err != nil {
			return err
		}
		srv, err := tx.ServerGet(ctx, projectID, serverID)
		if err != nil {
			return notFound(err, CPS0015)
		}
		if srv.Status != store.ServerRunning && srv.Status != store.ServerAbnormal {
			return CPS1102.Err()
		}
		old, err := s.idlePhones(ctx, tx, srv)
		if err != nil {
			return err
		}
		if err := s.switchServer(ctx, tx, srv, req, now); err != nil {
			return err
		}
		if _, err := tx.ServerPhonesDelete(ctx, projectID, srv.ID); err != nil {
			return err
		}
		if err := s.insertPhones(ctx, tx, srv, &pm, props, now); err != nil {
			return err
		}
		removed := make([]string, len(old))
		for i := range old {
			removed[i] = old[i].ID
		}
		resp.JobID, err = queueServerJob(ctx, tx, projectID, requestID, kindServerChange, srv.ID,
			serverChangeJob{ServerID: srv.ID, RemovedPhoneIDs: removed}, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.eng.Notify()
	return resp, nil
}

// switchServer records the switched server: srv is updated in memory too, for the new phones.
func (s *Service) switchServer(ctx context.Context, tx store.Store, srv *store.Server, req *api.ChangeServerRequest, now time.Time) error {
	bwID, err := s.switchBandwidth(ctx, tx, srv, req.BandWidth, now)
	if err != nil {
		return err
	}
	srv.PhoneModelName, srv.ImageID, srv.BandwidthID = req.PhoneModelName, req.ImageID, bwID
	srv.VPCID, srv.SubnetID = req.TenantVpcID, req.Nics[0].SubnetID
	if req.KeypairName != nil && *req.KeypairName != "" {
		srv.KeypairName = *req.KeypairName
	}
	if req.ExtendParam != nil {
		srv.EnterpriseProjectID = enterpriseProject(req.ExtendParam.EnterpriseProjectID)
	}
	srv.Ports = nil
	for _, p := range req.Ports {
		srv.Ports = append(srv.Ports, store.Port{
			Name: p.Name, ListenPort: p.ListenPort, InternetAccessible: strings.EqualFold(p.InternetAccessible, "true"),
		})
	}
	srv.PhoneVolumeType, srv.PhoneVolumeSize, srv.ShareVolumeType, srv.ShareVolumeSize = "", 0, "", 0
	if v := req.PhoneDataVolume; v != nil {
		srv.PhoneVolumeType, srv.PhoneVolumeSize = v.VolumeType, v.Size
	}
	if v := req.ServerShareDataVolume; v != nil {
		srv.ShareVolumeType, srv.ShareVolumeSize = v.VolumeType, v.Size
	}
	srv.Status, srv.EncodeServerStatus = store.ServerChanging, EncodeCreating
	ports := srv.Ports
	if ports == nil {
		ports = []store.Port{}
	}
	return tx.ServerUpdate(ctx, &store.ServerUpdateParams{
		ProjectID: srv.ProjectID, ID: srv.ID, Status: &srv.Status, KeypairName: &srv.KeypairName,
		PhoneModelName: &srv.PhoneModelName, ImageID: &srv.ImageID, VPCID: &srv.VPCID,
		SubnetID: &srv.SubnetID, EnterpriseProjectID: &srv.EnterpriseProjectID,
		BandwidthID: &srv.BandwidthID, Ports: &ports,
		PhoneVolumeType: &srv.PhoneVolumeType, PhoneVolumeSize: &srv.PhoneVolumeSize,
		ShareVolumeType: &srv.ShareVolumeType, ShareVolumeSize: &srv.ShareVolumeSize,
		EncodeServerStatus: &srv.EncodeServerStatus,
	})
}

// switchBandwidth gives a switched server the request's bandwidth and returns its id: the shared
// one named (CPS.0033 when it is another project's), or a new dedicated one of the size asked. A
// dedicated bandwidth the server had goes with its old phones; a shared one stays for its other
// users.
func (s *Service) switchBandwidth(ctx context.Context, tx store.Store, srv *store.Server, bw *api.BandWidth, now time.Time) (string, error) {
	var id string
	if *bw.BandWidthShareType == BandwidthShared {
		id = bw.BandWidthID
		if err := s.sharedBandwidth(ctx, tx, srv.ProjectID, id, *bw.BandWidthChargeMode, now); err != nil {
			return "", err
		}
	} else {
		id = store.NewID()
		if err := tx.BandwidthUpsert(ctx, &store.Bandwidth{
			ID: id, ProjectID: srv.ProjectID, Name: srv.Name + "-bandwidth", Size: *bw.BandWidthSize,
			ChargeMode: *bw.BandWidthChargeMode, ShareType: BandwidthDedicated, CreatedAt: now, UpdatedAt: now,
		}); err != nil {
			return "", fmt.Errorf("dedicated bandwidth: %w", err)
		}
	}
	if srv.BandwidthID == "" || srv.BandwidthID == id {
		return id, nil
	}
	old, err := tx.BandwidthGet(ctx, srv.ProjectID, srv.BandwidthID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return "", fmt.Errorf("bandwidth %s: %w", srv.BandwidthID, err)
	case old.ShareType == BandwidthDedicated:
		if err := tx.BandwidthDelete(ctx, srv.ProjectID, old.ID); err != nil {
			return "", err
		}
	}
	return id, nil
}

// runServerChange removes a switched server's old phones from the runtime, then creates its new
// ones as provisioning does (runServerCreate). Removing a removed phone and creating a created
// one both succeed, so the job is safe to repeat. If an old phone cannot be removed, the new
// ones are not created: they fail (-8) and the server is abnormal, and restarting the server
// later creates them.
func (s *Service) runServerChange(ctx context.Context, j *store.Job) job.Outcome {
	var p serverChangeJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Outcome{Err: fmt.Errorf("payload: %w", err)}
	}
	old := make([]*store.Phone, len(p.RemovedPhoneIDs))
	for i, id := range p.RemovedPhoneIDs {
		old[i] = &store.Phone{ID: id}
	}
	results := s.eachPhone(old, func(ph *store.Phone) phoneResult {
		return phoneResult{err: s.rt.RemovePhone(ctx, ph.ID)}
	})
	if failed, firstErr := failures(results); failed > 0 {
		return job.Outcome{
			Err:        CPS0092.Wrap(firstErr),
			ExecuteMsg: fmt.Sprintf("%d of %d old phones could not be removed: %v", failed, len(results), firstErr),
			Apply: func(ctx context.Context, tx store.Store) error {
				return s.abandonServer(ctx, tx, j.ProjectID, p.ServerID, store.PhoneCreating, store.PhoneCreateFailed)
			},
		}
	}
	return s.runServerCreate(ctx, j)
}
