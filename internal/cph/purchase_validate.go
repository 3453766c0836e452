package cph

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opencph/opencph/api"
)

// Limits of a purchase (section 5.1.4) and of the names and bandwidths it sets.
const (
	// NameMaxRunes bounds server names (5.1.4, 5.1.13) and phone names (5.3.9): 60 characters,
	// counted as characters and not bytes because CJK names are allowed.
	NameMaxRunes = 60
	// PurchaseMaxCount is the most servers one purchase buys.
	PurchaseMaxCount = 10
	// MaxPorts bounds a purchase's application ports (CPS.0145). The reference names the error but
	// not the number; ten forwarded ports per phone is ample and keeps a server's port map small.
	MaxPorts = 10
	// PortNameMaxBytes bounds an application port's name.
	PortNameMaxBytes = 16
	// ListenPortMin and ListenPortMax bound an application port.
	ListenPortMin, ListenPortMax = 10000, 50000
	// KeypairNameMaxBytes bounds a keypair name.
	KeypairNameMaxBytes = 64
	// VolumeMinGiB and VolumeMaxGiB bound a phone data volume and a server share volume.
	VolumeMinGiB, VolumeMaxGiB = 10, 32768
	// BandwidthMaxMbit is the largest dedicated or shared bandwidth.
	BandwidthMaxMbit = 2000
)

// Billing values of table 5-27.
const (
	chargingPrePaid = 0
	periodMonth     = 2
	periodYear      = 3
)

// EIP types of table 5-31.
var eipTypes = []string{"5_telcom", "5_union", "5_bgp", "5_sbgp"}

// Data volume types of tables 5-32 and 5-33.
var volumeTypes = []string{"SSD", "GPSSD"}

// ValidName reports whether s is a valid server or phone name: 1 to 60 characters, each an ASCII
// letter or digit, a CJK (Han) character, '_' or '-'. The purchase (5.1.4), the server rename
// (5.1.13) and the phone rename (5.3.9) state the same rule, so all three use this one; a caller
// answers CPS.0087 for a server and CPS.0025 for a phone.
func ValidName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > NameMaxRunes {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		case unicode.Is(unicode.Han, r):
		default:
			return false
		}
	}
	return true
}

// ValidServerName reports whether s may name a server (5.1.4, 5.1.13); see ValidName.
func ValidServerName(s string) bool { return ValidName(s) }

// ValidPhoneName reports whether s may name a phone (5.3.9); see ValidName.
func ValidPhoneName(s string) bool { return ValidName(s) }

// ValidBandwidthSize reports whether size (Mbit/s) is a bandwidth the service sells, following
// the step rule of 5.2.2: any whole size up to 300, then steps of 50 up to 1000, then steps of 500
// up to BandwidthMaxMbit. Purchases (5.1.4) and resizes (5.2.2) both use it.
func ValidBandwidthSize(size int) bool {
	switch {
	case size < 1 || size > BandwidthMaxMbit:
		return false
	case size <= 300:
		return true
	case size <= 1000:
		return size%50 == 0
	default:
		return size%500 == 0
	}
}

// ValidatePurchase checks a purchase request (5.1.4) against the reference's rules and the
// catalogue, and returns the *Error of the first rule it breaks, taking fields in the order of
// table 5-25, or nil. azs are the availability zones a request may name. It checks only what the
// request itself shows: whether the keypair (CPS.0067), VPC, subnets, EIP and shared bandwidth
// exist, and whether quota allows the servers, is for the caller to ask the services that know.
//
// images resolves image_id to an image the caller may boot (the service passes its project-aware
// resolver, which also knows private and shared images); nil looks in cat alone.
//
// Where the reference names a rule but no code, the choice is documented at the rule.
func ValidatePurchase(req *api.CreateServersRequest, cat *Catalog, azs []string, images ImageLookup) error {
	if req == nil {
		return CPS0087.Errf("request body is empty")
	}
	if !ValidName(req.ServerName) {
		return CPS0087.Errf("server_name must be 1-%d letters, digits, CJK characters, '_' or '-'", NameMaxRunes)
	}
	if req.ServerModelName == "" {
		return CPS0088.Err()
	}
	if _, ok := cat.ServerModel(req.ServerModelName); !ok {
		return CPS0089.Errf("unknown server model %q", req.ServerModelName)
	}
	pm, err := validatePhoneModel(req.PhoneModelName, req.ServerModelName, cat)
	if err != nil {
		return err
	}
	if images == nil {
		images = cat.lookupImage
	}
	if err := validateImage(req.ImageID, pm, images); err != nil {
		return err
	}
	if req.Count == nil || *req.Count < 1 || *req.Count > PurchaseMaxCount {
		return CPS0024.Errf("count must be 1-%d", PurchaseMaxCount)
	}
	if err := validateKeypairName(req.KeypairName); err != nil {
		return err
	}
	if err := validatePorts(req.Ports); err != nil {
		return err
	}
	if err := validateExtendParam(req.ExtendParam); err != nil {
		return err
	}
	if err := validateNetwork(req.TenantVpcID, req.Nics); err != nil {
		return err
	}
	if err := validatePublicIP(req.PublicIP, *req.Count, phoneIPCount(pm, req.PhoneCountPerIP)); err != nil {
		return err
	}
	if err := validatePhoneCountPerIP(pm, req.PhoneCountPerIP); err != nil {
		return err
	}
	if err := validateVolumes(pm, req.PhoneDataVolume, req.ServerShareDataVolume); err != nil {
		return err
	}
	if err := validateBandWidth(req.BandWidth); err != nil {
		return err
	}
	// An empty availability_zone is absent: the service picks one.
	if req.AvailabilityZone != "" && !slices.Contains(azs, req.AvailabilityZone) {
		return CPS0211.Errf("unknown availability zone %q", req.AvailabilityZone)
	}
	return nil
}

// validateKeypairName checks an optional keypair name. An empty one is taken as absent, as the
// SDK's callers leave it; a name too long to exist is answered as the missing keypair it is.
func validateKeypairName(name *string) error {
	if name != nil && len(*name) > KeypairNameMaxBytes {
		return CPS0067.Errf("keypair_name exceeds %d bytes", KeypairNameMaxBytes)
	}
	return nil
}

// validatePhoneCountPerIP checks the optional phone_count_per_ip. It has no code of its own. It
// sets how many phones share one private IP on the NICs' subnet, so CPS.0226 (nics is invalid) is
// the nearest, with the range as detail.
func validatePhoneCountPerIP(pm api.PhoneModel, n *int) error {
	if n != nil && (*n < 1 || *n > pm.PhoneCapacity) {
		return CPS0226.Errf("phone_count_per_ip must be 1-%d for phone model %s", pm.PhoneCapacity, pm.PhoneModelName)
	}
	return nil
}

// validatePhoneModel checks that the phone model exists, runs on the server model and is on sale.
func validatePhoneModel(name, serverModel string, cat *Catalog) (api.PhoneModel, error) {
	if name == "" {
		return api.PhoneModel{}, CPS0027.Err()
	}
	pm, ok := cat.PhoneModel(name)
	if !ok {
		return pm, CPS0028.Errf("unknown phone model %q", name)
	}
	if pm.ServerModelName != serverModel {
		return pm, CPS0028.Errf("phone model %s runs on server model %s, not %s", name, pm.ServerModelName, serverModel)
	}
	// Table 5-120: a retired model (status 0) cannot be bought. CPS.0257 says exactly that.
	if pm.Status != 1 {
		return pm, CPS0257.Errf("phone model %s is no longer sold", name)
	}
	return pm, nil
}

// ImageLookup resolves an image id for a purchase: the image, or the *Error that refuses it
// (CPS.0030 unknown, CPS.0220 not ready).
type ImageLookup func(id string) (Image, error)

// lookupImage is the ImageLookup of the catalogue alone.
func (c *Catalog) lookupImage(id string) (Image, error) {
	if im, ok := c.Image(id); ok {
		return im, nil
	}
	return Image{}, CPS0030.Errf("unknown image %q", id)
}

// validateImage checks that the image exists for the caller and runs on the phone model.
func validateImage(id string, pm api.PhoneModel, images ImageLookup) error {
	if id == "" {
		return CPS0029.Err()
	}
	im, err := images(id)
	if err != nil {
		return err
	}
	// A known image for another kind of phone is answered CPS.0222 rather than CPS.0030: the id is
	// fine, the pairing is not, and the reference has a code that says so.
	if im.ImageLabel != pm.ImageLabel {
		return CPS0222.Errf("image %s is labelled %s, phone model %s needs %s", id, im.ImageLabel, pm.PhoneModelName, pm.ImageLabel)
	}
	return nil
}

// validatePorts checks the application ports of table 5-26, port by port in request order.
func validatePorts(ports []api.Port) error {
	if len(ports) > MaxPorts {
		return CPS0145.Errf("at most %d ports", MaxPorts)
	}
	names := make(map[string]bool, len(ports))
	listen := make(map[int]bool, len(ports))
	for _, p := range ports {
		if p.Name == "" || len(p.Name) > PortNameMaxBytes {
			return CPS0038.Errf("port name must be 1-%d bytes", PortNameMaxBytes)
		}
		// The system's own services own these names whatever their case.
		if strings.EqualFold(p.Name, "adb") || strings.EqualFold(p.Name, "vnc") {
			return CPS0038.Errf("port name %q is reserved", p.Name)
		}
		if names[p.Name] {
			return CPS0039.Errf("port name %q is used twice", p.Name)
		}
		names[p.Name] = true
		if p.ListenPort < ListenPortMin || p.ListenPort > ListenPortMax {
			return CPS0040.Errf("listen_port must be %d-%d", ListenPortMin, ListenPortMax)
		}
		if listen[p.ListenPort] {
			return CPS0041.Errf("listen_port %d is used twice", p.ListenPort)
		}
		listen[p.ListenPort] = true
		if p.InternetAccessible == "" {
			return CPS0093.Err()
		}
	}
	return nil
}

// validateExtendParam checks the billing of table 5-27, in the table's order.
func validateExtendParam(ep *api.ExtendParam) error {
	if ep == nil {
		return CPS0055.Err()
	}
	if ep.ChargingMode == nil || *ep.ChargingMode != chargingPrePaid {
		return CPS0056.Errf("charging_mode must be 0 (yearly/monthly)")
	}
	if ep.PeriodType == nil || (*ep.PeriodType != periodMonth && *ep.PeriodType != periodYear) {
		return CPS0057.Errf("period_type must be 2 (month) or 3 (year)")
	}
	maxPeriod := 9
	if *ep.PeriodType == periodYear {
		maxPeriod = 10
	}
	if ep.PeriodNum == nil || *ep.PeriodNum < 1 || *ep.PeriodNum > maxPeriod {
		return CPS0058.Errf("period_num must be 1-%d", maxPeriod)
	}
	if !optionalFlag(ep.IsAutoPay) {
		return CPS0060.Errf("is_auto_pay must be 0 or 1")
	}
	if !optionalFlag(ep.IsAutoRenew) {
		return CPS0059.Errf("is_auto_renew must be 0 or 1")
	}
	return validateEnterpriseProject(ep.EnterpriseProjectID)
}

// validateEnterpriseProject accepts absent, empty or "0", the default enterprise project, and
// otherwise a project id.
func validateEnterpriseProject(id string) error {
	if id != "" && id != "0" && !isUUID(id) {
		return CPS0316.Errf("enterprise_project_id must be \"0\" or a UUID")
	}
	return nil
}

// optionalFlag reports whether an optional 0/1 field is absent or 0 or 1.
func optionalFlag(v *int) bool { return v == nil || *v == 0 || *v == 1 }

// validateNetwork checks the VPC and NICs of tables 5-25, 5-28 and 5-29.
func validateNetwork(vpcID string, nics []api.Nic) error {
	if !isUUID(vpcID) {
		return CPS0223.Errf("tenant_vpc_id must be a UUID")
	}
	if len(nics) == 0 {
		return CPS0226.Errf("at least one nic is required")
	}
	for _, n := range nics {
		if !isUUID(n.SubnetID) {
			return CPS0224.Errf("subnet_id must be a UUID")
		}
		if n.Ipv6Bandwidth == nil {
			continue
		}
		// A bandwidth for IPv6 traffic means nothing on a NIC without IPv6.
		if n.Ipv6Enable == nil || !*n.Ipv6Enable {
			return CPS0320.Errf("ipv6_bandwidth needs ipv6_enable true")
		}
		if !validBandwidthID(n.Ipv6Bandwidth.BandWidthID) {
			return CPS0318.Errf("band_width_id must be a bandwidth id")
		}
	}
	return nil
}

// phoneIPCount is how many private IPs one server's phones use: phone_capacity phones, perIP to
// an IP, all on one IP by default. It bounds public_ip.count. An invalid perIP is reported by its
// own rule later, so here it counts as the loosest valid value.
func phoneIPCount(pm api.PhoneModel, perIP *int) int {
	per := pm.PhoneCapacity
	switch {
	case perIP == nil:
	case *perIP >= 1 && *perIP <= pm.PhoneCapacity:
		per = *perIP
	default:
		per = 1
	}
	return (pm.PhoneCapacity + per - 1) / per
}

// validatePublicIP checks the EIP configuration of tables 5-30 and 5-31 for a purchase of count
// servers whose phones use ipCount private IPs each.
func validatePublicIP(p *api.PublicIP, count, ipCount int) error {
	if p == nil {
		return CPS0238.Errf("public_ip is required")
	}
	if len(p.IDs) > 1 {
		return CPS0253.Errf("at most one existing EIP id")
	}
	if len(p.IDs) == 1 && !isUUID(p.IDs[0]) {
		return CPS0253.Errf("EIP id must be a UUID")
	}
	if len(p.IDs) == 1 && count > 1 {
		return CPS0251.Err()
	}
	eips := 1
	if p.Count != nil {
		eips = *p.Count
	}
	if eips < 0 || eips > ipCount {
		return CPS0238.Errf("count must be 0-%d", ipCount)
	}
	if len(p.IDs) == 1 && eips > 1 {
		return CPS0252.Err()
	}
	// With count 0 no EIP is bound and eip and ids are ignored. With EIPs wanted, exactly one source: new ones (eip) or the existing one (ids). Both at once
	// would leave it open which the servers get.
	if eips > 0 && (p.EIP == nil) == (len(p.IDs) == 0) {
		return CPS0238.Errf("give either eip or ids")
	}
	if p.EIP != nil && !slices.Contains(eipTypes, p.EIP.Type) {
		return CPS0239.Errf("eip type must be one of %s", strings.Join(eipTypes, ", "))
	}
	return nil
}

// validateVolumes checks the phone data volume (table 5-32), which 2.0 phone models require, and
// the optional server share volume (table 5-33). The reference gives no code for a bad volume;
// CPS.0347 ("volume size is invalid") is the only one about volumes a request sets, so every
// volume rule answers it, with the field in the detail.
func validateVolumes(pm api.PhoneModel, phone *api.PhoneDataVolume, share *api.ServerShareDataVolume) error {
	if phone == nil && pm.PhoneModelVersion == 1 {
		return CPS0347.Errf("phone_data_volume is required for 2.0 phone model %s", pm.PhoneModelName)
	}
	if phone != nil {
		if err := validateVolume("phone_data_volume", phone.VolumeType, phone.Size); err != nil {
			return err
		}
	}
	if share != nil {
		if err := validateVolume("server_share_data_volume", share.VolumeType, share.Size); err != nil {
			return err
		}
	}
	return nil
}

func validateVolume(field, volumeType string, size int) error {
	if !slices.Contains(volumeTypes, volumeType) {
		return CPS0347.Errf("%s.volume_type must be SSD or GPSSD", field)
	}
	if size < VolumeMinGiB || size > VolumeMaxGiB {
		return CPS0347.Errf("%s.size must be %d-%d GiB", field, VolumeMinGiB, VolumeMaxGiB)
	}
	return nil
}

// validateBandWidth checks the bandwidth of table 5-34. The share type comes first because it
// decides which of size and id is required; the other of the two is ignored.
func validateBandWidth(bw *api.BandWidth) error {
	if bw == nil {
		return CPS0031.Err()
	}
	st := bw.BandWidthShareType
	if st == nil || (*st != BandwidthDedicated && *st != BandwidthShared) {
		return CPS0034.Errf("band_width_share_type must be 0 (dedicated) or 1 (shared)")
	}
	cm := bw.BandWidthChargeMode
	if cm == nil || (*cm != 0 && *cm != 1) {
		return CPS0035.Errf("band_width_charge_mode must be 0 (bandwidth) or 1 (traffic)")
	}
	if *st == BandwidthDedicated {
		if bw.BandWidthSize == nil || !ValidBandwidthSize(*bw.BandWidthSize) {
			return CPS0036.Errf("band_width_size must be 1-300, a multiple of 50 up to 1000 or of 500 up to %d", BandwidthMaxMbit)
		}
		return nil
	}
	if bw.BandWidthID == "" {
		return CPS0032.Err()
	}
	if !validBandwidthID(bw.BandWidthID) {
		return CPS0033.Errf("band_width_id must be a UUID or a 32-character hex id")
	}
	return nil
}

// validBandwidthID accepts the VPC service's UUIDs and this service's own 32-hex ids, since a
// shared bandwidth may come from either.
func validBandwidthID(s string) bool { return isUUID(s) || isHexID(strings.ToLower(s)) }

// isUUID reports whether s is a UUID in its canonical 8-4-4-4-12 hex form, either case.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
				return false
			}
		}
	}
	return true
}
