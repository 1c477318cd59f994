"""REST API v1: maintenance windows and delivery runs."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from portal.deps import API_DEPENDENCIES
from portal.guards import SIGNED_IN
from portal.openapi import problems
from rental import schedules
from rental.schemas import Delivery, DeliveryCreate, DeliveryUpdate, Maintenance, MaintenanceCreate, MaintenanceUpdate
from rental.tenants import Tenant


class MaintenanceApi(Controller):
    path = "/api/v1/maintenance"
    dependencies = API_DEPENDENCIES
    guards = [SIGNED_IN]
    tags = ["maintenance"]

    @post("/", status_code=201, opt=problems(409))
    async def create(self, tenant: NamedDependency[Tenant], data: JSONBody[MaintenanceCreate]) -> Maintenance:
        return await schedules.create_maintenance(tenant, data)

    @get("/{maintenance_id:int}")
    async def show(self, tenant: NamedDependency[Tenant], maintenance_id: FromPath[int]) -> Maintenance:
        return await schedules.get_maintenance(tenant, maintenance_id)

    @patch("/{maintenance_id:int}", opt=problems(409))
    async def change(
        self, tenant: NamedDependency[Tenant], maintenance_id: FromPath[int], data: JSONBody[MaintenanceUpdate]
    ) -> Maintenance:
        return await schedules.update_maintenance(tenant, maintenance_id, data)

    @delete("/{maintenance_id:int}", status_code=204)
    async def remove(self, tenant: NamedDependency[Tenant], maintenance_id: FromPath[int]) -> None:
        await schedules.delete_maintenance(tenant, maintenance_id)


class DeliveriesApi(Controller):
    path = "/api/v1/deliveries"
    dependencies = API_DEPENDENCIES
    guards = [SIGNED_IN]
    tags = ["deliveries"]

    @post("/", status_code=201)
    async def create(self, tenant: NamedDependency[Tenant], data: JSONBody[DeliveryCreate]) -> Delivery:
        return await schedules.create_delivery(tenant, data)

    @get("/{delivery_id:int}")
    async def show(self, tenant: NamedDependency[Tenant], delivery_id: FromPath[int]) -> Delivery:
        return await schedules.get_delivery(tenant, delivery_id)

    @patch("/{delivery_id:int}")
    async def change(
        self, tenant: NamedDependency[Tenant], delivery_id: FromPath[int], data: JSONBody[DeliveryUpdate]
    ) -> Delivery:
        return await schedules.update_delivery(tenant, delivery_id, data)

    @delete("/{delivery_id:int}", status_code=204)
    async def remove(self, tenant: NamedDependency[Tenant], delivery_id: FromPath[int]) -> None:
        await schedules.delete_delivery(tenant, delivery_id)
