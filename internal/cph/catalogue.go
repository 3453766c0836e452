// Transcribed from section 8.2 of the CPH API reference (spec/cph-api-reference.zh.txt).

package cph

// The CPS error catalogue of section 8.2: every code the reference defines, with its HTTP status and
// message. Codes are named after their number because the number is what clients match on.
const (
	CPS0002 Code = "CPS.0002"
	CPS0004 Code = "CPS.0004"
	CPS0009 Code = "CPS.0009"
	CPS0010 Code = "CPS.0010"
	CPS0014 Code = "CPS.0014"
	CPS0016 Code = "CPS.0016"
	CPS0020 Code = "CPS.0020"
	CPS0021 Code = "CPS.0021"
	CPS0022 Code = "CPS.0022"
	CPS0023 Code = "CPS.0023"
	CPS0024 Code = "CPS.0024"
	CPS0025 Code = "CPS.0025"
	CPS0026 Code = "CPS.0026"
	CPS0027 Code = "CPS.0027"
	CPS0028 Code = "CPS.0028"
	CPS0029 Code = "CPS.0029"
	CPS0030 Code = "CPS.0030"
	CPS0031 Code = "CPS.0031"
	CPS0032 Code = "CPS.0032"
	CPS0033 Code = "CPS.0033"
	CPS0034 Code = "CPS.0034"
	CPS0035 Code = "CPS.0035"
	CPS0036 Code = "CPS.0036"
	CPS0037 Code = "CPS.0037"
	CPS0038 Code = "CPS.0038"
	CPS0039 Code = "CPS.0039"
	CPS0040 Code = "CPS.0040"
	CPS0041 Code = "CPS.0041"
	CPS0042 Code = "CPS.0042"
	CPS0043 Code = "CPS.0043"
	CPS0045 Code = "CPS.0045"
	CPS0046 Code = "CPS.0046"
	CPS0047 Code = "CPS.0047"
	CPS0048 Code = "CPS.0048"
	CPS0049 Code = "CPS.0049"
	CPS0051 Code = "CPS.0051"
	CPS0052 Code = "CPS.0052"
	CPS0053 Code = "CPS.0053"
	CPS0054 Code = "CPS.0054"
	CPS0055 Code = "CPS.0055"
	CPS0056 Code = "CPS.0056"
	CPS0057 Code = "CPS.0057"
	CPS0058 Code = "CPS.0058"
	CPS0059 Code = "CPS.0059"
	CPS0060 Code = "CPS.0060"
	CPS0061 Code = "CPS.0061"
	CPS0062 Code = "CPS.0062"
	CPS0063 Code = "CPS.0063"
	CPS0064 Code = "CPS.0064"
	CPS0065 Code = "CPS.0065"
	CPS0066 Code = "CPS.0066"
	CPS0067 Code = "CPS.0067"
	CPS0068 Code = "CPS.0068"
	CPS0069 Code = "CPS.0069"
	CPS0070 Code = "CPS.0070"
	CPS0071 Code = "CPS.0071"
	CPS0072 Code = "CPS.0072"
	CPS0073 Code = "CPS.0073"
	CPS0074 Code = "CPS.0074"
	CPS0075 Code = "CPS.0075"
	CPS0076 Code = "CPS.0076"
	CPS0077 Code = "CPS.0077"
	CPS0078 Code = "CPS.0078"
	CPS0079 Code = "CPS.0079"
	CPS0080 Code = "CPS.0080"
	CPS0081 Code = "CPS.0081"
	CPS0082 Code = "CPS.0082"
	CPS0083 Code = "CPS.0083"
	CPS0084 Code = "CPS.0084"
	CPS0085 Code = "CPS.0085"
	CPS0086 Code = "CPS.0086"
	CPS0087 Code = "CPS.0087"
	CPS0088 Code = "CPS.0088"
	CPS0089 Code = "CPS.0089"
	CPS0090 Code = "CPS.0090"
	CPS0091 Code = "CPS.0091"
	CPS0092 Code = "CPS.0092"
	CPS0093 Code = "CPS.0093"
	CPS0094 Code = "CPS.0094"
	CPS0095 Code = "CPS.0095"
	CPS0096 Code = "CPS.0096"
	CPS0097 Code = "CPS.0097"
	CPS0098 Code = "CPS.0098"
	CPS0099 Code = "CPS.0099"
	CPS0100 Code = "CPS.0100"
	CPS0101 Code = "CPS.0101"
	CPS0102 Code = "CPS.0102"
	CPS0103 Code = "CPS.0103"
	CPS0105 Code = "CPS.0105"
	CPS0106 Code = "CPS.0106"
	CPS0107 Code = "CPS.0107"
	CPS0108 Code = "CPS.0108"
	CPS0109 Code = "CPS.0109"
	CPS0110 Code = "CPS.0110"
	CPS0111 Code = "CPS.0111"
	CPS0112 Code = "CPS.0112"
	CPS0113 Code = "CPS.0113"
	CPS0114 Code = "CPS.0114"
	CPS0116 Code = "CPS.0116"
	CPS0117 Code = "CPS.0117"
	CPS0118 Code = "CPS.0118"
	CPS0119 Code = "CPS.0119"
	CPS0121 Code = "CPS.0121"
	CPS0122 Code = "CPS.0122"
	CPS0123 Code = "CPS.0123"
	CPS0124 Code = "CPS.0124"
	CPS0125 Code = "CPS.0125"
	CPS0126 Code = "CPS.0126"
	CPS0127 Code = "CPS.0127"
	CPS0128 Code = "CPS.0128"
	CPS0129 Code = "CPS.0129"
	CPS0130 Code = "CPS.0130"
	CPS0131 Code = "CPS.0131"
	CPS0132 Code = "CPS.0132"
	CPS0133 Code = "CPS.0133"
	CPS0134 Code = "CPS.0134"
	CPS0135 Code = "CPS.0135"
	CPS0136 Code = "CPS.0136"
	CPS0137 Code = "CPS.0137"
	CPS0138 Code = "CPS.0138"
	CPS0139 Code = "CPS.0139"
	CPS0140 Code = "CPS.0140"
	CPS0141 Code = "CPS.0141"
	CPS0142 Code = "CPS.0142"
	CPS0143 Code = "CPS.0143"
	CPS0144 Code = "CPS.0144"
	CPS0145 Code = "CPS.0145"
	CPS0147 Code = "CPS.0147"
	CPS0148 Code = "CPS.0148"
	CPS0155 Code = "CPS.0155"
	CPS0156 Code = "CPS.0156"
	CPS0157 Code = "CPS.0157"
	CPS0158 Code = "CPS.0158"
	CPS0159 Code = "CPS.0159"
	CPS0160 Code = "CPS.0160"
	CPS0161 Code = "CPS.0161"
	CPS0162 Code = "CPS.0162"
	CPS0163 Code = "CPS.0163"
	CPS0164 Code = "CPS.0164"
	CPS0165 Code = "CPS.0165"
	CPS0166 Code = "CPS.0166"
	CPS0167 Code = "CPS.0167"
	CPS0168 Code = "CPS.0168"
	CPS0169 Code = "CPS.0169"
	CPS0170 Code = "CPS.0170"
	CPS0171 Code = "CPS.0171"
	CPS0172 Code = "CPS.0172"
	CPS0173 Code = "CPS.0173"
	CPS0174 Code = "CPS.0174"
	CPS0175 Code = "CPS.0175"
	CPS0176 Code = "CPS.0176"
	CPS0190 Code = "CPS.0190"
	CPS0191 Code = "CPS.0191"
	CPS0192 Code = "CPS.0192"
	CPS0193 Code = "CPS.0193"
	CPS0194 Code = "CPS.0194"
	CPS0195 Code = "CPS.0195"
	CPS0196 Code = "CPS.0196"
	CPS0197 Code = "CPS.0197"
	CPS0198 Code = "CPS.0198"
	CPS0199 Code = "CPS.0199"
	CPS0200 Code = "CPS.0200"
	CPS0201 Code = "CPS.0201"
	CPS0202 Code = "CPS.0202"
	CPS0203 Code = "CPS.0203"
	CPS0204 Code = "CPS.0204"
	CPS0205 Code = "CPS.0205"
	CPS0206 Code = "CPS.0206"
	CPS0207 Code = "CPS.0207"
	CPS0208 Code = "CPS.0208"
	CPS0209 Code = "CPS.0209"
	CPS0210 Code = "CPS.0210"
	CPS0211 Code = "CPS.0211"
	CPS0212 Code = "CPS.0212"
	CPS0213 Code = "CPS.0213"
	CPS0214 Code = "CPS.0214"
	CPS0215 Code = "CPS.0215"
	CPS0216 Code = "CPS.0216"
	CPS0217 Code = "CPS.0217"
	CPS0218 Code = "CPS.0218"
	CPS0219 Code = "CPS.0219"
	CPS0220 Code = "CPS.0220"
	CPS0221 Code = "CPS.0221"
	CPS0222 Code = "CPS.0222"
	CPS0223 Code = "CPS.0223"
	CPS0224 Code = "CPS.0224"
	CPS0225 Code = "CPS.0225"
	CPS0226 Code = "CPS.0226"
	CPS0227 Code = "CPS.0227"
	CPS0228 Code = "CPS.0228"
	CPS0230 Code = "CPS.0230"
	CPS0231 Code = "CPS.0231"
	CPS0232 Code = "CPS.0232"
	CPS0233 Code = "CPS.0233"
	CPS0234 Code = "CPS.0234"
	CPS0235 Code = "CPS.0235"
	CPS0237 Code = "CPS.0237"
	CPS0238 Code = "CPS.0238"
	CPS0239 Code = "CPS.0239"
	CPS0240 Code = "CPS.0240"
	CPS0241 Code = "CPS.0241"
	CPS0242 Code = "CPS.0242"
	CPS0244 Code = "CPS.0244"
	CPS0245 Code = "CPS.0245"
	CPS0246 Code = "CPS.0246"
	CPS0247 Code = "CPS.0247"
	CPS0248 Code = "CPS.0248"
	CPS0249 Code = "CPS.0249"
	CPS0250 Code = "CPS.0250"
	CPS0251 Code = "CPS.0251"
	CPS0252 Code = "CPS.0252"
	CPS0253 Code = "CPS.0253"
	CPS0254 Code = "CPS.0254"
	CPS0255 Code = "CPS.0255"
	CPS0256 Code = "CPS.0256"
	CPS0257 Code = "CPS.0257"
	CPS0258 Code = "CPS.0258"
	CPS0259 Code = "CPS.0259"
	CPS0260 Code = "CPS.0260"
	CPS0261 Code = "CPS.0261"
	CPS0262 Code = "CPS.0262"
	CPS0263 Code = "CPS.0263"
	CPS0264 Code = "CPS.0264"
	CPS0265 Code = "CPS.0265"
	CPS0266 Code = "CPS.0266"
	CPS0267 Code = "CPS.0267"
	CPS0300 Code = "CPS.0300"
	CPS0301 Code = "CPS.0301"
	CPS0303 Code = "CPS.0303"
	CPS0304 Code = "CPS.0304"
	CPS0305 Code = "CPS.0305"
	CPS0306 Code = "CPS.0306"
	CPS0307 Code = "CPS.0307"
	CPS0309 Code = "CPS.0309"
	CPS0310 Code = "CPS.0310"
	CPS0311 Code = "CPS.0311"
	CPS0312 Code = "CPS.0312"
	CPS0313 Code = "CPS.0313"
	CPS0314 Code = "CPS.0314"
	CPS0315 Code = "CPS.0315"
	CPS0316 Code = "CPS.0316"
	CPS0317 Code = "CPS.0317"
	CPS0318 Code = "CPS.0318"
	CPS0319 Code = "CPS.0319"
	CPS0320 Code = "CPS.0320"
	CPS0321 Code = "CPS.0321"
	CPS0322 Code = "CPS.0322"
	CPS0323 Code = "CPS.0323"
	CPS0324 Code = "CPS.0324"
	CPS0325 Code = "CPS.0325"
	CPS0326 Code = "CPS.0326"
	CPS0327 Code = "CPS.0327"
	CPS0332 Code = "CPS.0332"
	CPS0337 Code = "CPS.0337"
	CPS0338 Code = "CPS.0338"
	CPS0339 Code = "CPS.0339"
	CPS0346 Code = "CPS.0346"
	CPS0347 Code = "CPS.0347"
	CPS0348 Code = "CPS.0348"
	CPS0349 Code = "CPS.0349"
	CPS0350 Code = "CPS.0350"
	CPS0351 Code = "CPS.0351"
	CPS0352 Code = "CPS.0352"
	CPS0353 Code = "CPS.0353"
	CPS0354 Code = "CPS.0354"
	CPS0355 Code = "CPS.0355"
	CPS0356 Code = "CPS.0356"
	CPS0357 Code = "CPS.0357"
	CPS0358 Code = "CPS.0358"
	CPS0359 Code = "CPS.0359"
	CPS0379 Code = "CPS.0379"
	CPS0380 Code = "CPS.0380"
	CPS0381 Code = "CPS.0381"
	CPS1102 Code = "CPS.1102"
	CPS1103 Code = "CPS.1103"
	CPS1104 Code = "CPS.1104"
	CPS1105 Code = "CPS.1105"
	CPS0001 Code = "CPS.0001"
	CPS0006 Code = "CPS.0006"
	CPS0007 Code = "CPS.0007"
	CPS0008 Code = "CPS.0008"
	CPS0005 Code = "CPS.0005"
	CPS0011 Code = "CPS.0011"
	CPS0015 Code = "CPS.0015"
	CPS0017 Code = "CPS.0017"
	CPS0018 Code = "CPS.0018"
	CPS0019 Code = "CPS.0019"
	CPS0044 Code = "CPS.0044"
	CPS0050 Code = "CPS.0050"
	CPS0104 Code = "CPS.0104"
	CPS0115 Code = "CPS.0115"
	CPS0229 Code = "CPS.0229"
	CPS0236 Code = "CPS.0236"
	CPS0243 Code = "CPS.0243"
	CPS0302 Code = "CPS.0302"
	CPS0003 Code = "CPS.0003"
)

var catalogue = map[Code]entry{
	CPS0002: {400, "Parameter: offset or limit is invalid."},
	CPS0004: {400, "Invalid phone id."},
	CPS0009: {400, "Parameter: phone_id list is empty."},
	CPS0010: {400, "Parameter: status is invalid."},
	CPS0014: {400, "Parameter: sd_path list is empty."},
	CPS0016: {400, "server_id is invalid."},
	CPS0020: {400, "VNC is not enable."},
	CPS0021: {400, "Invalid ticket."},
	CPS0022: {400, "Not available phone."},
	CPS0023: {400, "Duplicate apply the phone."},
	CPS0024: {400, "Parameter: count is invalid."},
	CPS0025: {400, "Parameter: phone_name is invalid."},
	CPS0026: {400, "Parameter: phone_name is conflicted."},
	CPS0027: {400, "Parameter: phone_model_name is empty."},
	CPS0028: {400, "Parameter: phone_model_name is invalid."},
	CPS0029: {400, "Parameter: image_id is empty."},
	CPS0030: {400, "Parameter: image_id is invalid."},
	CPS0031: {400, "Parameter: band_width is invalid."},
	CPS0032: {400, "Parameter: band_width_id is empty."},
	CPS0033: {400, "Parameter: band_width_id is invalid."},
	CPS0034: {400, "Parameter: band_width_share_type is invalid."},
	CPS0035: {400, "Parameter: band_width_charge_mode is invalid."},
	CPS0036: {400, "Parameter: band_width_size is invalid."},
	CPS0037: {400, "Parameter: ports is invalid."},
	CPS0038: {400, "Parameter: port name is invalid."},
	CPS0039: {400, "Parameter: port name is conflicted."},
	CPS0040: {400, "Parameter: listen_port is invalid."},
	CPS0041: {400, "Parameter: listen_port is conflicted."},
	CPS0042: {400, "System busy."},
	CPS0043: {400, "Parameter: bms_name is invalid."},
	CPS0045: {400, "Parameter: device_id is invalid."},
	CPS0046: {400, "Parameter: project_id is invalid."},
	CPS0047: {400, "Parameter: action is invalid."},
	CPS0048: {400, "Parameter: job_id is empty."},
	CPS0049: {400, "Parameter: request_id is empty."},
	CPS0051: {400, "The bandwidth share type of WHOLE is exist."},
	CPS0052: {400, "Parameter: error_code is invalid."},
	CPS0053: {400, "No permission to request resources. Phone is frozen."},
	CPS0054: {400, "Handle job timeout."},
	CPS0055: {400, "Parameter: extend_param is invalid."},
	CPS0056: {400, "Parameter: charging_mode is invalid."},
	CPS0057: {400, "Parameter: period_type is invalid."},
	CPS0058: {400, "Parameter: period_num is invalid."},
	CPS0059: {400, "Parameter: isAutoRenew is invalid."},
	CPS0060: {400, "Parameter: isAutoPay is invalid."},
	CPS0061: {400, "Inquiry order info failed."},
	CPS0062: {400, "Create order failed."},
	CPS0063: {400, "productInfos is empty."},
	CPS0064: {400, "productId is empty."},
	CPS0065: {400, "Quota exceeded for server."},
	CPS0066: {400, "Capacity exceeded for server."},
	CPS0067: {400, "Keypair could not found."},
	CPS0068: {400, "Parameter: keypair_name is empty."},
	CPS0069: {400, "Parameter: topic_urn is invalid."},
	CPS0070: {400, "Parameter: Property [phone_brand] is invalid."},
	CPS0071: {400, "Parameter: Property [phone_type] is invalid."},
	CPS0072: {400, "Parameter: Property [serial_num] is invalid."},
	CPS0073: {400, "Parameter: Property [os_version] is invalid."},
	CPS0074: {400, "Parameter: Property [phone_num] is invalid."},
	CPS0075: {400, "Parameter: Property [imsi] is invalid."},
	CPS0076: {400, "Parameter: Property [iccid] is invalid."},
	CPS0077: {400, "Parameter: phones list is invalid."},
	CPS0078: {400, "Parameter: Property is invalid."},
	CPS0079: {400, "Parameter: mac_address is invalid."},
	CPS0080: {400, "Parameter: phone_ids is invalid."},
	CPS0081: {400, "Parameter: phone_ids and phones are both empty."},
	CPS0082: {400, "Parameter: Property [wifi_name] is invalid."},
	CPS0083: {400, "Parameter: Property [mac_addresses] is invalid."},
	CPS0084: {400, "Parameter: Property [imei] is invalid."},
	CPS0085: {400, "Parameter: order_id is invalid."},
	CPS0086: {400, "Parameter: resourceid is invalid."},
	CPS0087: {400, "Parameter: server_name is invalid."},
	CPS0088: {400, "Parameter: server_model_name is empty."},
	CPS0089: {400, "Parameter: server_model_name is invalid."},
	CPS0090: {400, "Init server create data failed."},
	CPS0091: {400, "Retry time exceeded for creating server."},
	CPS0092: {400, "Create server failed."},
	CPS0093: {400, "Parameter: internet_accessible is empty."},
	CPS0094: {400, "Parameter: server_ids is invalid."},
	CPS0095: {400, "Parameter: server_ids is empty."},
	CPS0096: {400, "The number of servers exceeds the limit."},
	CPS0097: {400, "Parameter: server_id is invalid."},
	CPS0098: {400, "Parameter: no available keypair_name or server not ready."},
	CPS0099: {400, "Parameter: server is not ready."},
	CPS0100: {400, "Probation phones not found."},
	CPS0101: {400, "No available device access found."},
	CPS0102: {400, "Failed to create OBS bucket."},
	CPS0103: {400, "Failed to upload objects to OBS."},
	CPS0105: {400, "BMS status is invalid."},
	CPS0106: {400, "version doesn't match with agent package."},
	CPS0107: {400, "Parameters for upload files to obs is invalid."},
	CPS0108: {400, "Upload files to obs failed."},
	CPS0109: {400, "Failed to create alarm topic."},
	CPS0110: {400, "Failed to add alarm topic subscriber list."},
	CPS0111: {400, "desc.json is invalid."},
	CPS0112: {400, "Upload version didn't equals version defined in desc.json."},
	CPS0113: {400, "Upload file not founded."},
	CPS0114: {400, "Update system_parameter failed."},
	CPS0116: {400, "Parameter: type is invalid."},
	CPS0117: {400, "Parameter: command is invalid."},
	CPS0118: {400, "Parameter: content is invalid."},
	CPS0119: {400, "Parameter: filename doesn't end .apk."},
	CPS0121: {400, "Parameter: Encode server id is invalid."},
	CPS0122: {400, "Parameter: Encode server id list is invalid."},
	CPS0123: {400, "Encode server not found."},
	CPS0124: {400, "Encode server is creating."},
	CPS0125: {400, "Parameter: Property [build_id] is invalid."},
	CPS0126: {400, "Parameter: Property [android_id] is invalid."},
	CPS0127: {400, "Parameter: Property [hide_navigate] is invalid."},
	CPS0128: {400, "Parameter: Property [gsm_country] is invalid."},
	CPS0129: {400, "Parameter: Property [gsm_number] is invalid."},
	CPS0130: {400, "Parameter: Property [gsm_operator] is invalid."},
	CPS0131: {400, "Parameter: Property [sim_country] is invalid."},
	CPS0132: {400, "Parameter: Property [sim_number] is invalid."},
	CPS0133: {400, "Parameter: Property [sim_operator] is invalid."},
	CPS0134: {400, "Parameter: bucket_name is invalid."},
	CPS0135: {400, "Parameter: object_path is invalid."},
	CPS0136: {400, "Available server not found."},
	CPS0137: {400, "Server does not support push share files."},
	CPS0138: {400, "The bandwidth name is invalid."},
	CPS0139: {400, "The port_name_list is invalid."},
	CPS0140: {400, "Parameter: manage_band_width is invalid."},
	CPS0141: {400, "Phone is not in running status."},
	CPS0142: {400, "Parameter: image_label is invalid."},
	CPS0143: {400, "Parameter: is_public is invalid."},
	CPS0144: {400, "Parameter: product_type is invalid."},
	CPS0145: {400, "Parameter: ports exceeds the limit."},
	CPS0147: {400, "Server does not support push share apps."},
	CPS0148: {400, "Parameter: pre_install_app is invalid."},
	CPS0155: {400, "The file_paths is invalid."},
	CPS0156: {400, "The server_id is not found."},
	CPS0157: {400, "The phone model is invalid."},
	CPS0158: {400, "The server is not available for being restarted."},
	CPS0159: {400, "Server not found."},
	CPS0160: {400, "Only the size of shared bandwidth can be changed."},
	CPS0161: {400, "Parameter: the number of request IDs has exceeded the limit."},
	CPS0162: {400, "Parameter: image_name is invalid."},
	CPS0163: {400, "Parameter: property {0} not supported."},
	CPS0164: {400, "Parameter: Invalid property {0}."},
	CPS0165: {400, "The phone must be in stopped or running status."},
	CPS0166: {400, "Phone image not found."},
	CPS0167: {400, "Parameter: storage_infos is invalid."},
	CPS0168: {400, "Parameter: include_files is invalid."},
	CPS0169: {400, "Parameter: exclude_files is invalid."},
	CPS0170: {400, "Parameter: storage_infos exceeds the limit."},
	CPS0171: {400, "Parameter: restore_infos is invalid."},
	CPS0172: {400, "Parameter: object_path is unregistered."},
	CPS0173: {400, "Parameter: package_name is invalid."},
	CPS0174: {400, "Parameter: time is invalid."},
	CPS0175: {400, "Parameter: run_time is invalid."},
	CPS0176: {400, "Parameter: session_id is invalid."},
	CPS0190: {400, "The number of phones exceeds the limit."},
	CPS0191: {400, "Parameter: subnet_cidr is invalid."},
	CPS0192: {400, "Cannot delete the latest agent because it is in use."},
	CPS0193: {400, "Parameter: is_key_version is invalid."},
	CPS0194: {400, "The subnet overlaps with an existing one."},
	CPS0195: {400, "Encode server is frozen, no permission to request resources."},
	CPS0196: {400, "Quota is insufficient."},
	CPS0197: {400, "Parameter: vpc_cidr is invalid."},
	CPS0198: {400, "The VPC CIDR block must be the same with the existing one."},
	CPS0199: {400, "The path is invalid."},
	CPS0200: {400, "Parameter: peering_id is invalid"},
	CPS0201: {400, "The peering connection cannot be found."},
	CPS0202: {400, "You can only configure routes for active peering connections."},
	CPS0203: {400, "Failed to obtain the VPC ID. Buy a server first."},
	CPS0204: {400, "The subnet cannot be used when in delete or error status."},
	CPS0205: {400, "Parameter: br_cidr is invalid."},
	CPS0206: {400, "The br_cidr overlaps with an existing subnet cidr."},
	CPS0207: {400, "Parameter: traffic type is invalid."},
	CPS0208: {400, "Encode server is not in running status, not allowed to request resources."},
	CPS0209: {400, "Parameter: the number of requested phone ids has exceeded the limit."},
	CPS0210: {400, "Parameter: br_cidr mask has exceeded 16 under the multi bridge specification."},
	CPS0211: {400, "Parameter: availability_zone is invalid."},
	CPS0212: {400, "Parameter: no permission to request availability_zone."},
	CPS0213: {400, "Phone is creating."},
	CPS0214: {400, "Parameter: access_ip is invalid."},
	CPS0215: {400, "Parameter: access_port is invalid."},
	CPS0216: {400, "Phone is not in stop status."},
	CPS0217: {400, "The br_cidr overlaps with the reserved network segment 10.238.0.0/15."},
	CPS0218: {400, "Parameter: image_sub_type is invalid."},
	CPS0219: {400, "Phone does not support export and import image."},
	CPS0220: {400, "Phone image status is not active."},
	CPS0221: {400, "Phone image type is not whole image."},
	CPS0222: {400, "Phone image labels do not match up."},
	CPS0223: {400, "Parameter: tenant_vpc_id is invalid."},
	CPS0224: {400, "Parameter: subnet_id is invalid."},
	CPS0225: {400, "Parameter: ip_address is invalid."},
	CPS0226: {400, "Parameter: nics is invalid."},
	CPS0227: {400, "IP address is not a valid IP for the specified subnet."},
	CPS0228: {400, "Subnet does not belong to the VPC."},
	CPS0230: {400, "The number of this phone image has reached the upper limit 1000000000, please try again tomorrow."},
	CPS0231: {400, "Source phone and target phone can not be the same."},
	CPS0232: {400, "Parameter: source_phone_id is invalid."},
	CPS0233: {400, "Parameter: target_phone_id is invalid."},
	CPS0234: {400, "Parameter: migrate_infos is invalid."},
	CPS0235: {400, "Parameter: is_migrate_property is invalid."},
	CPS0237: {400, "Parameter: ip_address is in use."},
	CPS0238: {400, "Parameter: public_ip is invalid."},
	CPS0239: {400, "Parameter: eip is invalid."},
	CPS0240: {400, "Parameter: network_version is invalid."},
	CPS0241: {400, "Insufficient IP addresses."},
	CPS0242: {400, "Insufficient Bms Quantity."},
	CPS0244: {400, "Bms event name is invalid."},
	CPS0245: {400, "Server does not allow to change model."},
	CPS0246: {400, "Server model not found."},
	CPS0247: {400, "Server model is not supported."},
	CPS0248: {400, "Get change resource price failed."},
	CPS0249: {400, "Change cbc order failed."},
	CPS0250: {400, "The server specifications cannot be the same as the specifications to be modified."},
	CPS0251: {400, "Existing EIPs cannot be assigned to servers created in batches."},
	CPS0252: {400, "EIPs of cloud phones whose phone_model_name has more than one EIPs cannot be configured from existing EIPs."},
	CPS0253: {400, "Parameter: public_ip: ids is invalid."},
	CPS0254: {400, "Image version is invalid."},
	CPS0255: {400, "Parameter: image_id is not supported."},
	CPS0256: {400, "Servers you want can only be requested by using the POST /v2/{project_id}/cloud-phone/servers URI."},
	CPS0257: {400, "Phone model is not supported."},
	CPS0258: {400, "VNC is under maintenance."},
	CPS0259: {400, "The agent version is not supported."},
	CPS0260: {400, "Sub job execute failed."},
	CPS0261: {400, "The phone image is not supported."},
	CPS0262: {400, "The agent version and phone image is not supported."},
	CPS0263: {400, "Cloud phones running Android 9 do not support VNC."},
	CPS0264: {400, "Parameter: request_id is invalid."},
	CPS0265: {400, "version is invalid."},
	CPS0266: {400, "Duplicate mac addresses in request parameters."},
	CPS0267: {400, "The mac address already exists."},
	CPS0300: {400, "Parameter: Invalid resource type."},
	CPS0301: {400, "Parameter: Invalid resource id."},
	CPS0303: {400, "Parameter: Invalid tags."},
	CPS0304: {400, "Parameter: Invalid tag key."},
	CPS0305: {400, "Parameter: Invalid tag value."},
	CPS0306: {400, "Parameter: Key start with _sys_ is reserved to system user."},
	CPS0307: {400, "Parameter: The number of created tags has reached the limit."},
	CPS0309: {400, "Parameter: The number of tag keys has reached the limit."},
	CPS0310: {400, "Parameter: The number of tag values has reached the limit."},
	CPS0311: {400, "Parameter: Invalid matches."},
	CPS0312: {400, "Parameter: Invalid match."},
	CPS0313: {400, "Parameter: Invalid match key."},
	CPS0314: {400, "Parameter: Invalid match value."},
	CPS0315: {400, "Parameter: Invalid tag values."},
	CPS0316: {400, "Parameter: enterprise_project_id is invalid."},
	CPS0317: {400, "No permission to request resources."},
	CPS0318: {400, "ipv6_bandwidth is invalid."},
	CPS0319: {400, "Subnet does not support ipv6."},
	CPS0320: {400, "ipv6_enable is invalid."},
	CPS0321: {400, "Required volumeSize exceeded availVolumeSize."},
	CPS0322: {400, "Aosp 11 does not support this function."},
	CPS0323: {400, "This api is not supported."},
	CPS0324: {400, "Could not get Pay-per-Use server infos."},
	CPS0325: {400, "The number of servers to be deleted is more than {0}."},
	CPS0326: {400, "Change server tasks exceed {0}."},
	CPS0327: {400, "The user has never purchase cloud phone server. Please purchase a server first."},
	CPS0332: {400, "image_id already exists."},
	CPS0337: {400, "Evs job status is failed."},
	CPS0338: {400, "Phone does not support expand data volume."},
	CPS0339: {400, "Get resource user failed."},
	CPS0346: {400, "Get resource user token failed."},
	CPS0347: {400, "New volume size is invalid."},
	CPS0348: {400, "Unfinished expand volume job number should not over 500 totally."},
	CPS0349: {400, "Exclusive task is exist."},
	CPS0350: {400, "The volume status is invalid."},
	CPS0351: {400, "Query volume detail failed."},
	CPS0352: {400, "Expand data volume failed."},
	CPS0353: {400, "Retry time exceeded for expand volume size."},
	CPS0354: {400, "Volume status is error."},
	CPS0355: {400, "Expand data volume error."},
	CPS0356: {400, "Phone number for expand volume should not over 150 in once."},
	CPS0357: {400, "The volume size in phone and volume info are inconsistent."},
	CPS0358: {400, "Parameter: client_type is invalid."},
	CPS0359: {400, "The size of parameter [phone_ids] cannot over max limit."},
	CPS0379: {400, "Encrypted phones cannot be restarted using non-encrypted images."},
	CPS0380: {400, "Locked phone cannot be backed up, restored, or executed commands"},
	CPS0381: {400, "Encrypted phone can not change aosp version from 9 to 11 by restarting."},
	CPS1102: {400, "Server status is not allow to change server."},
	CPS1103: {400, "Only succeed period order support change server."},
	CPS1104: {400, "The server is unsubscribed."},
	CPS1105: {400, "Stop restarting during server changing."},
	CPS0001: {403, "No permission to request resources."},
	CPS0006: {403, "No permission to request resources. Role is op_restricted."},
	CPS0007: {403, "No permission to request resources. Role is op_suspended."},
	CPS0008: {403, "No permission to request resources. Role is op_unverified."},
	CPS0005: {404, "Phone is not found."},
	CPS0011: {404, "Job not found."},
	CPS0015: {404, "server_id not found."},
	CPS0017: {404, "Event callback not found."},
	CPS0018: {404, "Access info not found."},
	CPS0019: {404, "Ticket not found."},
	CPS0044: {404, "bms not found."},
	CPS0050: {404, "Jobs related to this requestId is not found."},
	CPS0104: {404, "File doesn't exists in OBS."},
	CPS0115: {404, "Band width not found."},
	CPS0229: {404, "Query subnet by id fail."},
	CPS0236: {404, "Query vpc by id not found."},
	CPS0243: {404, "User not found."},
	CPS0302: {404, "The resource_id is not found."},
	CPS0003: {500, "Service internal error."},
}
