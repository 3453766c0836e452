package cph

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// kindServerCreate provisions every phone of a newly bought server.
const kindServerCreate = "server.create"

// serverJob is the payload of server-level jobs.
type serverJob struct {
	ServerID string `json:"server_id"`
}

// CreateServers buys servers (5.1.4). Every rule is checked before anything is written; then one
// transaction allocates a free host per server, records the servers in status 0 with their phones
// in status 1 and their host ports, and queues one provisioning job per server, so a request that
// fails at any point creates nothing.
func (s *Service) CreateServers(ctx context.Context, projectID, requestID string, req *api.CreateServersRequest) (*api.CreateServersResponse, error) {
	images := func(id string) (Image, error) { return s.imageFor(ctx, projectID, id) }
	if err := ValidatePurchase(req, s.cat, s.cfg.AvailabilityZones, images); err != nil {
		return nil, err
	}
	if err := s.checkKeypair(ctx, projectID, req.KeypairName); err != nil {
		return nil, err
	}
	props, err := parseProperties(req.Property)
	if err != nil {
		return nil, err
	}
	pm, _ := s.cat.PhoneModel(req.PhoneModelName) // validated above
	resp := &api.CreateServersResponse{
		RequestID: requestID, OrderID: newOrderID(), ProductID: newProductID(),
	}
	now := time.Now().UTC()
	err = s.st.InTx(ctx, func(tx store.Store) error {
		// Again where the phones are committed: a share may have ended or the image been deleted
		// since validation, and a deleted image must not gain phones.
		if _, err := s.imageIn(ctx, tx, projectID, req.ImageID); err != nil {
			return err
		}
		held, err := tx.ServerCount(ctx, projectID)
		if err != nil {
			return err
		}
		if held+*req.Count > s.cfg.ServerQuota {
			return CPS0065.Errf("the project holds %d of %d servers", held, s.cfg.ServerQuota)
		}
		sharedBW := ""
		if *req.BandWidth.BandWidthShareType == BandwidthShared {
			sharedBW = req.BandWidth.BandWidthID
			if err := s.sharedBandwidth(ctx, tx, projectID, sharedBW, *req.BandWidth.BandWidthChargeMode, now); err != nil {
				return err
			}
		}
		for i := 1; i <= *req.Count; i++ {
			id, err := s.insertServer(ctx, tx, projectID, requestID, req, &pm, props, resp, sharedBW, i, now)
			if err != nil {
				return err
			}
			resp.ServerIDs = append(resp.ServerIDs, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.eng.Notify()
	return resp, nil
}

// defaultSharedBandwidth is the size a shared bandwidth is recorded with when a purchase first
// names it; OpenCPH does not run the VPC service that would know its real size.
const defaultSharedBandwidth = 300

// sharedBandwidth records the shared bandwidth a purchase (5.1.4) or a switch (5.1.6) names, or
// leaves it as it is when the project has it already; another project's is CPS.0033.
func (s *Service) sharedBandwidth(ctx context.Context, tx store.Store, projectID, id string, chargeMode int, now time.Time) error {
	err := tx.BandwidthUpsert(ctx, &store.Bandwidth{
		ID: id, ProjectID: projectID, Name: "bandwidth-" + id[:8], Size: defaultSharedBandwidth,
		ChargeMode: chargeMode, ShareType: BandwidthShared, CreatedAt: now, UpdatedAt: now,
	})
	if errors.Is(err, store.ErrConflict) {
		return CPS0033.Errf("bandwidth %s belongs to another project", id)
	}
	if err != nil {
		return fmt.Errorf("shared bandwidth: %w", err)
	}
	return nil
}

func (s *Service) insertServer(ctx context.Context, tx store.Store, projectID, requestID string,
	req *api.CreateServersRequest, pm *api.PhoneModel, props map[string]string,
	resp *api.CreateServersResponse, sharedBW string, n int, now time.Time) (string, error) {
	id := store.NewID()
	host, err := tx.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: req.ServerModelName, ServerID: id})
	if errors.Is(err, store.ErrNotFound) {
		return "", CPS0066.Errf("no free host of model %s", req.ServerModelName)
	}
	if err != nil {
		return "", fmt.Errorf("allocating host: %w", err)
	}
	name := fmt.Sprintf("%s-%04d", req.ServerName, n)
	bwID := sharedBW
	if bwID == "" {
		bwID = store.NewID()
		if err := tx.BandwidthUpsert(ctx, &store.Bandwidth{
			ID: bwID, ProjectID: projectID, Name: name + "-bandwidth", Size: *req.BandWidth.BandWidthSize,
			ChargeMode: *req.BandWidth.BandWidthChargeMode, ShareType: BandwidthDedicated,
			CreatedAt: now, UpdatedAt: now,
		}); err != nil {
			return "", fmt.Errorf("dedicated bandwidth: %w", err)
		}
	}
	srv := &store.Server{
		ID: id, ProjectID: projectID, Name: name, ServerModelName: req.ServerModelName,
		PhoneModelName: req.PhoneModelName, ImageID: req.ImageID, Status: store.ServerCreating,
		AvailabilityZone: s.availabilityZone(req), VPCID: req.TenantVpcID, VPCCIDR: s.cfg.VPCCIDR,
		SubnetID: req.Nics[0].SubnetID, SubnetCIDR: s.cfg.SubnetCIDR, NetworkVersion: "v2",
		EnterpriseProjectID: enterpriseProject(req.ExtendParam.EnterpriseProjectID),
		OrderID:             resp.OrderID, ProductID: resp.ProductID, ChargingMode: *req.ExtendParam.ChargingMode,
		HostID: host.ID, BandwidthID: bwID, EncodeServerStatus: EncodeCreating,
		CreatedAt: now, UpdatedAt: now,
	}
	if req.KeypairName != nil {
		srv.KeypairName = *req.KeypairName
	}
	for _, p := range req.Ports {
		srv.Ports = append(srv.Ports, store.Port{
			Name: p.Name, ListenPort: p.ListenPort, InternetAccessible: strings.EqualFold(p.InternetAccessible, "true"),
		})
	}
	if v := req.PhoneDataVolume; v != nil {
		srv.PhoneVolumeType, srv.PhoneVolumeSize = v.VolumeType, v.Size
	}
	if v := req.ServerShareDataVolume; v != nil {
		srv.ShareVolumeType, srv.ShareVolumeSize = v.VolumeType, v.Size
	}
	if err := tx.ServerInsert(ctx, srv); err != nil {
		return "", fmt.Errorf("inserting server: %w", err)
	}
	if err := s.insertPhones(ctx, tx, srv, pm, props, now); err != nil {
		return "", err
	}
	payload, _ := json.Marshal(serverJob{ServerID: id})
	err = tx.JobInsert(ctx, &store.Job{
		ID: store.NewID(), ProjectID: projectID, RequestID: requestID, Kind: kindServerCreate,
		ServerID: id, Payload: payload, Status: store.JobRunning, BeginTime: now, RunAfter: now,
	})
	if err != nil {
		return "", fmt.Errorf("queueing provisioning: %w", err)
	}
	return id, nil
}

// insertPhones records the phones of a server being created (a purchase, 5.1.4) or re-created (a
// switch, 5.1.6): pm.PhoneCapacity phones of srv's phone model and image in status 1, each with a
// fresh IMEI and its host ports (adb and srv's application ports) on srv's host.
func (s *Service) insertPhones(ctx context.Context, tx store.Store, srv *store.Server, pm *api.PhoneModel,
	props map[string]string, now time.Time) error {
	propJSON := ""
	if len(props) > 0 {
		b, _ := json.Marshal(props)
		propJSON = string(b)
	}
	for k := 0; k < pm.PhoneCapacity; k++ {
		imei, err := NewIMEI(rand.Reader)
		if err != nil {
			return err
		}
		ph := &store.Phone{
			ID: store.NewID(), ProjectID: srv.ProjectID, ServerID: srv.ID, Name: fmt.Sprintf("%s-%04d", srv.Name, k+1),
			PhoneModelName: srv.PhoneModelName, ImageID: srv.ImageID, Status: store.PhoneCreating,
			IMEI: imei, TrafficType: "direct", VolumeMode: pm.VolumeMode, Property: propJSON,
			Index: k, CreatedAt: now.Add(time.Duration(k) * time.Microsecond), UpdatedAt: now,
			VolumeType: srv.PhoneVolumeType, VolumeSize: srv.PhoneVolumeSize,
		}
		if ph.VolumeSize == 0 {
			ph.VolumeType, ph.VolumeSize = "SSD", pm.Disk
		}
		if err := tx.PhoneInsert(ctx, ph); err != nil {
			return fmt.Errorf("inserting phone: %w", err)
		}
		for _, name := range append([]string{"adb"}, portNames(srv.Ports)...) {
			_, err := tx.PortAllocate(ctx, &store.PortAllocateParams{
				HostID: srv.HostID, PhoneID: ph.ID, Name: name,
				Min: s.cfg.AccessPortMin, Max: s.cfg.AccessPortMax,
			})
			if errors.Is(err, store.ErrConflict) {
				return CPS0066.Errf("host %s has no free access port", srv.HostID)
			}
			if err != nil {
				return fmt.Errorf("allocating port: %w", err)
			}
		}
	}
	return nil
}

func (s *Service) availabilityZone(req *api.CreateServersRequest) string {
	if req.AvailabilityZone != "" {
		return req.AvailabilityZone
	}
	return s.cfg.AvailabilityZones[0]
}

func enterpriseProject(id string) string {
	if id == "" {
		return "0"
	}
	return id
}

func portNames(ports []store.Port) []string {
	names := make([]string, len(ports))
	for i, p := range ports {
		names[i] = p.Name
	}
	return names
}

// parseProperties reads the property string a purchase or a switch may carry (the SDK sends it;
// the reference's table does not list it) under the rules of appendix A.1; absent or blank means
// none.
func parseProperties(s *string) (map[string]string, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, nil
	}
	return parsePhoneProperties(*s)
}

// checkKeypair refuses a keypair name the project does not have (CPS.0067); absent or empty
// means none.
func (s *Service) checkKeypair(ctx context.Context, projectID string, name *string) error {
	if name == nil || *name == "" {
		return nil
	}
	ok, err := s.kp(ctx, projectID, *name)
	if err != nil {
		return fmt.Errorf("looking up keypair: %w", err)
	}
	if !ok {
		return CPS0067.Err()
	}
	return nil
}

const orderAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newOrderID mimics Huawei's order ids: "CS", the UTC date and time, five random characters.
func newOrderID() string {
	return "CS" + time.Now().UTC().Format("0601021504") + randomString(orderAlphabet, 5)
}

// newProductID mimics Huawei's product ids: "OFFI" and eighteen digits.
func newProductID() string { return "OFFI" + randomString("0123456789", 18) }

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}
