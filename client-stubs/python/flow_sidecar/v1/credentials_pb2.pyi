from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

CREDENTIAL_STATE_ACTIVE: CredentialState
CREDENTIAL_STATE_REVOKED: CredentialState
CREDENTIAL_STATE_UNSPECIFIED: CredentialState
DESCRIPTOR: _descriptor.FileDescriptor

class CredentialMetadata(_message.Message):
    __slots__ = ["connector_id", "create_time", "credential_id", "field_names", "revoke_time", "rotate_time", "state", "tenant_id", "version"]
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_ID_FIELD_NUMBER: _ClassVar[int]
    FIELD_NAMES_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    ROTATE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    connector_id: str
    create_time: _timestamp_pb2.Timestamp
    credential_id: str
    field_names: _containers.RepeatedScalarFieldContainer[str]
    revoke_time: _timestamp_pb2.Timestamp
    rotate_time: _timestamp_pb2.Timestamp
    state: CredentialState
    tenant_id: str
    version: int
    def __init__(self, connector_id: _Optional[str] = ..., credential_id: _Optional[str] = ..., version: _Optional[int] = ..., field_names: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[CredentialState, str]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., rotate_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., tenant_id: _Optional[str] = ...) -> None: ...

class GetCredentialRequest(_message.Message):
    __slots__ = ["connector_id", "tenant_id"]
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    connector_id: str
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., connector_id: _Optional[str] = ...) -> None: ...

class GetCredentialResponse(_message.Message):
    __slots__ = ["metadata", "secret_fields"]
    class SecretFieldsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELDS_FIELD_NUMBER: _ClassVar[int]
    metadata: CredentialMetadata
    secret_fields: _containers.ScalarMap[str, str]
    def __init__(self, metadata: _Optional[_Union[CredentialMetadata, _Mapping]] = ..., secret_fields: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListCredentialsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "tenant_id"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCredentialsResponse(_message.Message):
    __slots__ = ["credentials", "next_page_token"]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    credentials: _containers.RepeatedCompositeFieldContainer[CredentialMetadata]
    next_page_token: str
    def __init__(self, credentials: _Optional[_Iterable[_Union[CredentialMetadata, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RedactRequest(_message.Message):
    __slots__ = ["mask", "payload"]
    MASK_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    mask: str
    payload: str
    def __init__(self, payload: _Optional[str] = ..., mask: _Optional[str] = ...) -> None: ...

class RedactResponse(_message.Message):
    __slots__ = ["payload", "replacements"]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    REPLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    payload: str
    replacements: int
    def __init__(self, payload: _Optional[str] = ..., replacements: _Optional[int] = ...) -> None: ...

class RevokeCredentialRequest(_message.Message):
    __slots__ = ["connector_id", "reason", "tenant_id"]
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    connector_id: str
    reason: str
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., connector_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeCredentialResponse(_message.Message):
    __slots__ = ["metadata"]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    metadata: CredentialMetadata
    def __init__(self, metadata: _Optional[_Union[CredentialMetadata, _Mapping]] = ...) -> None: ...

class RotateCredentialRequest(_message.Message):
    __slots__ = ["connector_id", "secret_fields", "tenant_id"]
    class SecretFieldsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELDS_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    connector_id: str
    secret_fields: _containers.ScalarMap[str, str]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., connector_id: _Optional[str] = ..., secret_fields: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RotateCredentialResponse(_message.Message):
    __slots__ = ["metadata"]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    metadata: CredentialMetadata
    def __init__(self, metadata: _Optional[_Union[CredentialMetadata, _Mapping]] = ...) -> None: ...

class SealCredentialRequest(_message.Message):
    __slots__ = ["connector_id", "display_name", "secret_fields", "tenant_id"]
    class SecretFieldsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELDS_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    connector_id: str
    display_name: str
    secret_fields: _containers.ScalarMap[str, str]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., connector_id: _Optional[str] = ..., secret_fields: _Optional[_Mapping[str, str]] = ..., display_name: _Optional[str] = ...) -> None: ...

class SealCredentialResponse(_message.Message):
    __slots__ = ["metadata"]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    metadata: CredentialMetadata
    def __init__(self, metadata: _Optional[_Union[CredentialMetadata, _Mapping]] = ...) -> None: ...

class CredentialState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
