"""REST API v1: block-outs (calendar_availability)."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from portal.deps import API_DEPENDENCIES
from portal.guards import MANAGERS, SIGNED_IN
from portal.openapi import problems
from rental import blocks
from rental.schemas import Block, BlockCreate
from rental.tenants import Tenant


class BlocksApi(Controller):
    path = "/api/v1/calendar_availability"
    dependencies = API_DEPENDENCIES
    guards = [SIGNED_IN]
    tags = ["availability"]

    @get("/")
    async def index(self, tenant: NamedDependency[Tenant]) -> list[Block]:
        return await blocks.list_blocks(tenant)

    @post("/", status_code=201, guards=[MANAGERS], opt=problems(409))
    async def create(self, tenant: NamedDependency[Tenant], data: JSONBody[BlockCreate]) -> Block:
        return await blocks.create_block(tenant, data)

    @delete("/{block_id:int}", status_code=204, guards=[MANAGERS])
    async def remove(self, tenant: NamedDependency[Tenant], block_id: FromPath[int]) -> None:
        await blocks.delete_block(tenant, block_id)
